"""Issue 11's acceptance: one tree hashed locally, from S3 and on a Dask cluster gives the same
dataset root and the same manifest bytes; a model stored in S3 verifies against a bundle made
from its local copy, and fails naming the object once that object is overwritten.

Real services only: moto's S3 server (tests/helpers/s3server.py) and a Dask scheduler with
two worker processes (tests/helpers/daskcluster.py), both on 127.0.0.1, started here.
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest

from tests.helpers.cli import REPO, run_cli
from tests.helpers.s3server import s3_env, s3_server  # noqa: F401  (fixtures)

pytest.importorskip("s3fs", reason="needs the s3 extra: pip install 'mbom[s3]'")
pytest.importorskip("distributed", reason="needs the dask extra: pip install 'mbom[dask]'")
pytest.importorskip("moto", reason="needs moto[server] (dev extra)")

from tests.helpers.daskcluster import dask_cluster

DATASET_FILES = 1_200  # above the default manifest threshold (1,000): a sidecar manifest


def _dataset(root: Path) -> Path:
    data = root / "data"
    for index in range(DATASET_FILES):
        path = data / f"shard-{index % 7}" / f"part {index:05d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"sample {index}\n".encode() * (index % 5))
    (data / "big.bin").write_bytes(bytes(range(256)) * 40_000)  # ~10 MiB: ranged reads
    (data / "ünïcode name.csv").write_bytes(b"a,b\n1,2\n")
    return data


def _model(root: Path) -> Path:
    model = root / "model"
    shutil.copytree(REPO / "fixtures" / "demo" / "model", model)
    header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}).encode()
    weights = struct.pack("<Q", len(header)) + header + struct.pack("<4f", 1, 2, 3, 4)
    (model / "model.safetensors").write_bytes(weights)
    return model


def _upload(env, bucket: str, prefix: str, tree: Path) -> None:
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        env.put(bucket, f"{prefix}/{path.relative_to(tree).as_posix()}", path.read_bytes())


def _ok(done) -> None:
    assert done.returncode == 0, done.stderr


def _dataset_record(bom_path: Path) -> tuple[str, bytes, dict[str, str]]:
    bom = json.loads(bom_path.read_text())
    [component] = [c for c in bom["components"] if c.get("bom-ref") == "dataset:data"]
    props = {p["name"]: p["value"] for p in component["properties"]}
    manifest = (bom_path.parent / props["mbom:manifest"]).read_bytes()
    return props["mbom:merkle-root:sha256"], manifest, props


@pytest.fixture
def world(tmp_path: Path, s3_env):  # noqa: F811  (the fixture imported above)
    bucket = s3_env.bucket("scale")
    data = _dataset(tmp_path / "local")
    model = _model(tmp_path / "local")
    _upload(s3_env, bucket, "datasets/data", data)
    _upload(s3_env, bucket, "models/demo", model)
    return tmp_path, bucket, data, model, s3_env


def test_local_s3_and_dask_give_identical_roots_and_manifests(world) -> None:
    tmp_path, bucket, data, model, _env = world
    url = f"s3://{bucket}/datasets/data/"
    outputs = {name: tmp_path / name / "bom.cdx.json" for name in ("local", "s3", "dask", "both")}
    for path in outputs.values():
        path.parent.mkdir(exist_ok=True)
    common = ("generate", "--model", model, "--no-environment", "--no-cache")
    _ok(run_cli(*common, "--dataset", f"data={data}", "-o", outputs["local"]))
    _ok(run_cli(*common, "--dataset", f"data={url}", "-o", outputs["s3"]))
    (tmp_path / "cluster").mkdir()
    with dask_cluster(tmp_path / "cluster") as cluster:  # workers inherit the S3 environment
        _ok(run_cli(*common, "--dataset", f"data={data}", "--dask", cluster.address,
                    "-o", outputs["dask"]))  # fmt: skip
        _ok(run_cli(*common, "--dataset", f"data={url}", "--dask", cluster.address,
                    "-o", outputs["both"]))  # fmt: skip
    records = {name: _dataset_record(path) for name, path in outputs.items()}
    root, manifest, local_props = records["local"]
    assert manifest.count(b"\n") == DATASET_FILES + 2
    for name, (other_root, other_manifest, props) in records.items():
        assert other_root == root, name
        assert other_manifest == manifest, name
        assert props["mbom:dataset:files"] == local_props["mbom:dataset:files"], name
    # what was hashed remotely names its objects' versions beside the BOM, never in the manifest
    s3_props = records["s3"][2]
    assert s3_props["mbom:dataset:location"] == url.rstrip("/")
    versions = (outputs["s3"].parent / s3_props["mbom:versions"]).read_text().splitlines()
    assert len(versions) == DATASET_FILES + 2
    first = json.loads(versions[0])
    assert first["path"] == "big.bin" and first["versionId"] and first["etag"]
    assert "mbom:versions" not in local_props


def test_s3_model_verifies_against_local_bundle_and_names_an_overwritten_object(world) -> None:
    tmp_path, bucket, _data, model, env = world
    out = tmp_path / "signed"
    out.mkdir()
    bom = out / "bom.cdx.json"
    _ok(run_cli("generate", "--model", model, "--no-environment", "-o", bom))
    _ok(run_cli("keygen", out / "key"))
    bundle = out / "bom.sigstore.json"
    _ok(run_cli("sign", bom, "--key", out / "key.pem", "-o", bundle))
    url = f"s3://{bucket}/models/demo/"
    verify = ("verify", url, "--bundle", bundle, "--key", out / "key.pub")

    done = run_cli(*verify)
    assert done.returncode == 0, done.stdout + done.stderr

    env.put(bucket, "models/demo/config.json", b'{"model_type": "replaced"}')
    done = run_cli(*verify, "--format", "json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    failed = [c for c in report["checks"] if c["status"] == "fail"]
    assert any(c.get("path") == "config.json" for c in failed), failed


def test_generate_of_an_s3_model_records_versions_and_matches_the_local_bom(world) -> None:
    tmp_path, bucket, _data, model, _env = world
    local, remote = tmp_path / "l.cdx.json", tmp_path / "r.cdx.json"
    _ok(run_cli("generate", "--model", model, "--no-environment", "-o", local))
    _ok(run_cli("generate", "--model", f"s3://{bucket}/models/demo/", "--no-environment",
                "-o", remote))  # fmt: skip

    def files(path: Path) -> dict[str, tuple]:
        from mbom.bom.subjects import model_component

        component = model_component(json.loads(path.read_text()))
        found = {}
        for f in component["components"]:
            props = {p["name"]: p["value"] for p in f.get("properties", ())}
            found[f["name"]] = (f["hashes"][0]["content"], props.get("mbom:object:versionId"))
        return found

    local_files, remote_files = files(local), files(remote)
    assert {k: v[0] for k, v in local_files.items()} == {k: v[0] for k, v in remote_files.items()}
    assert all(v[1] is None for v in local_files.values())
    assert all(v[1] for v in remote_files.values())


def test_bad_credentials_are_one_line_exit_2(world, monkeypatch) -> None:
    _tmp, bucket, _data, _model, _env = world
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    done = run_cli("hash", f"s3://{bucket}/datasets/data/")
    assert done.returncode == 2, done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert "credentials" in done.stderr
