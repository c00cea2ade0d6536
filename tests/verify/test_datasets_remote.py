"""``verify --datasets s3://...``: a dataset recorded at a URL is re-hashed where it lives.

Against moto's S3 server on 127.0.0.1 (tests/helpers/s3server.py), versioning on: the
untouched dataset passes, an overwritten object fails naming it, a local ROOT that lacks the
dataset says how to reach it, and a URL prefix only reaches datasets recorded under it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.s3server import s3_env, s3_server  # noqa: F401  (fixtures)

pytest.importorskip("s3fs", reason="needs the s3 extra: pip install 'mbom[s3]'")
pytest.importorskip("moto", reason="needs moto[server] (dev extra)")

FILES = {f"shard-{i % 3}/part-{i:04d}.txt": b"row %d\n" % i * (i % 4) for i in range(30)}


def _generate(model: Path, dataset: str, out: Path, threshold: int) -> dict[str, Any]:
    from mbom.generate import GenerateRequest, generate, manifest_stem_for, write_bom

    request = GenerateRequest(
        model=str(model),
        datasets=(dataset,),
        environment=False,
        git_dir=None,
        packages=False,
        manifest_threshold=threshold,
    )
    built = generate(request, manifest_stem=manifest_stem_for(out), cache=False)
    write_bom(built, out)
    return built.document


@pytest.fixture(params=[1000, 10], ids=["inline", "manifest"])
def remote(request, tmp_path: Path, s3_env):  # noqa: F811  (the fixture imported above)
    bucket = s3_env.bucket("vds")
    for name, content in FILES.items():
        s3_env.put(bucket, f"datasets/train/{name}", content)
    model = tmp_path / "model"
    model.mkdir()
    (model / "w.bin").write_bytes(b"weights")
    out = tmp_path / "out"
    out.mkdir()
    url = f"s3://{bucket}/datasets/train"
    bom = _generate(model, f"train={url}/", out / "bom.cdx.json", request.param)
    return s3_env, bucket, url, bom, out


def _check(bom: dict[str, Any], root: str, out: Path) -> list[Any]:
    from mbom.verify.datasets import check_datasets

    return check_datasets(bom, root, manifest_dirs=[str(out)])


def test_recorded_url_is_rehashed_under_a_url_prefix(remote) -> None:
    _env, bucket, url, bom, out = remote
    props = {
        p["name"]: p["value"]
        for c in bom["components"]
        if c.get("bom-ref") == "dataset:train"
        for p in c["properties"]
    }
    assert props["mbom:dataset:location"] == url
    for root in (f"s3://{bucket}/", f"s3://{bucket}/datasets", url):
        checks = _check(bom, root, out)
        assert [(c.id, c.status) for c in checks] == [
            ("files", "pass"),
            ("dataset-merkle-root", "pass"),
        ], (root, checks)


def test_overwritten_object_fails_naming_it(remote) -> None:
    env, bucket, _url, bom, out = remote
    env.put(bucket, "datasets/train/shard-1/part-0004.txt", b"poisoned\n")
    checks = [c for c in _check(bom, f"s3://{bucket}/", out) if c.status == "fail"]
    assert [(c.id, c.path) for c in checks] == [
        ("file-digest", "shard-1/part-0004.txt"),
        ("dataset-merkle-root", "train"),
    ]
    assert "dataset train file shard-1/part-0004.txt: content changed" in checks[0].message


def test_local_root_without_the_dataset_says_where_it_lives(remote, tmp_path: Path) -> None:
    _env, bucket, url, bom, out = remote
    [check] = _check(bom, str(tmp_path / "nowhere"), out)
    assert check.status == "fail" and check.id == "dataset"
    assert check.message == (
        f"dataset train: not found under {tmp_path / 'nowhere'} "
        f"(recorded at {url}: --datasets s3://{bucket}/ re-hashes it there)"
    )


def test_url_prefix_reaches_only_what_is_recorded_under_it(remote) -> None:
    env, _bucket, _url, bom, out = remote
    other = env.bucket("elsewhere")
    [check] = _check(bom, f"s3://{other}/", out)
    assert (
        check.status == "fail" and check.message == f"dataset train: not found under s3://{other}/"
    )
    for name, content in FILES.items():  # a mirror under the prefix, found by the dataset's name
        env.put(other, f"mirror/train/{name}", content)
    assert [c.status for c in _check(bom, f"s3://{other}/mirror", out)] == ["pass", "pass"]


def test_cli_verify_with_remote_datasets(remote) -> None:
    env, bucket, _url, _bom, out = remote
    model = out.parent / "model"
    assert run_cli("keygen", out / "key").returncode == 0
    bundle = out / "bom.cdx.json.sigstore.json"
    signed = run_cli("sign", out / "bom.cdx.json", "--key", out / "key.pem", "-o", bundle)
    assert signed.returncode == 0, signed.stderr
    verify = ("verify", model, "--bundle", bundle, "--key", out / "key.pub", "--no-schema")
    root = f"s3://{bucket}/"

    done = run_cli(*verify, "--datasets", root, env=env.env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "dataset-merkle-root" in done.stdout

    offline = run_cli(*verify, "--datasets", root, "--offline", env=env.env)
    assert offline.returncode == 2 and "Traceback" not in offline.stderr
    assert offline.stderr.strip().endswith(
        f"--offline: --datasets {root} is read from a remote store"
    )

    env.put(bucket, "datasets/train/shard-0/part-0009.txt", b"overwritten\n")
    done = run_cli(*verify, "--datasets", root, "--format", "json", env=env.env)
    assert done.returncode == 1, done.stderr
    failed = [c for c in json.loads(done.stdout)["checks"] if c["status"] == "fail"]
    assert {(c["id"], c.get("path")) for c in failed} == {
        ("file-digest", "shard-0/part-0009.txt"),
        ("dataset-merkle-root", "train"),
    }
