"""generate -> sign -> attach -> verify against a real registry, and the attacks on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.cli import REPO
from tests.helpers.minilm import minilm_model_dir
from tests.helpers.registry import FILEPATH, MANIFEST, Registry, layer_media_type
from tests.oci.conftest import DEMO, mbom, push_tar_model


def release(registry: Registry, repo: str, tag: str, keys, tmp: Path, *, pull: bool) -> Path:
    """What a release job does: BOM of the artifact, signed, attached to it."""
    ref = f"oci://{registry.host}/{repo}:{tag}"
    bom = tmp / f"{repo.replace('/', '-')}.cdx.json"
    flags = () if pull else ("--no-pull",)
    generated = mbom("generate", "--model", ref, *flags, "--no-environment", "-o", bom)
    assert generated.returncode == 0, generated.stderr
    signed = mbom("sign", bom, "--key", keys[0])
    assert signed.returncode == 0, signed.stderr
    bundle = Path(f"{bom}.sigstore.json")
    attached = mbom("attach", ref, "--bundle", bundle, "--format", "json")
    assert attached.returncode == 0, attached.stderr
    assert json.loads(attached.stdout)["referrers"][0]["via"] == "tag"  # distribution 2.8
    return bundle


def verify(ref: str, keys, *extra: object) -> tuple[int, dict]:
    result = mbom("verify", ref, "--key", keys[1], "--format", "json", *extra)
    if result.returncode == 3:
        return 3, {"stderr": result.stderr}
    report = json.loads(result.stdout)
    import jsonschema

    schema = json.loads((REPO / "schemas" / "verify-report.schema.json").read_text())
    jsonschema.Draft7Validator(schema).validate(report)  # complete, whatever the verdict
    return result.returncode, report


def failed(report: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for check in report["checks"]:
        if check["status"] == "fail":
            found.setdefault(check["id"], []).append(check)
    return found


@pytest.mark.parametrize("pull", [False, True], ids=["no-pull", "pull"])
def test_round_trip_demo(registry, keys, tmp_path: Path, pull: bool):
    repo = f"rt/demo-{'pull' if pull else 'nopull'}"
    digest = registry.push_model(repo, "v1", DEMO)
    release(registry, repo, "v1", keys, tmp_path, pull=pull)
    mark = registry.mark()
    code, report = verify(f"oci://{registry.host}/{repo}:v1", keys)
    assert code == 0, failed(report)
    assert report["subject"] == f"oci://{registry.host}/{repo}@{digest}"  # the digest, not the tag
    ids = {c["id"]: c for c in report["checks"]}
    assert ids["oci-manifest"]["status"] == "pass"
    assert ids["files"]["status"] == "pass"
    assert all(a["bundle"].startswith("referrer sha256:") for a in report["attestations"])
    tag_reads = [p for m, p in registry.requests_since(mark) if p.endswith("/manifests/v1")]
    assert len(tag_reads) == 1  # resolved once; everything after by digest


def test_round_trip_minilm_and_pulled_directory(registry, keys, tmp_path: Path):
    model = minilm_model_dir()
    registry.push_model("rt/minilm", "main", model)
    release(registry, "rt/minilm", "main", keys, tmp_path, pull=True)
    ref = f"oci://{registry.host}/rt/minilm:main"
    code, report = verify(ref, keys)
    assert code == 0, failed(report)
    code, report = verify(str(model), keys, "--oci-ref", ref)  # the files a pod would pull
    assert code == 0, failed(report)
    assert report["subject"] == str(model)
    assert next(c for c in report["checks"] if c["id"] == "oci-content")["status"] == "pass"


def test_pulled_directory_with_a_changed_or_extra_file_fails(registry, keys, tmp_path: Path):
    import shutil

    push_tar_model(registry, "rt/tar", "v1", {"tokenizer/vocab.txt": b"a\nb\n"})
    bundle = release(registry, "rt/tar", "v1", keys, tmp_path, pull=True)
    ref = f"oci://{registry.host}/rt/tar:v1"
    pulled = tmp_path / "pulled"
    (pulled / "tokenizer").mkdir(parents=True)
    (pulled / "weights.bin").write_bytes(b"\x00" * 64)
    (pulled / "tokenizer" / "vocab.txt").write_bytes(b"a\nb\n")
    code, report = verify(str(pulled), keys, "--oci-ref", ref)
    assert code == 0, failed(report)
    kept = pulled / "bom.sigstore.json"  # a bundle kept beside the files is not "extra"
    shutil.copy(bundle, kept)
    code, report = verify(str(pulled), keys, "--oci-ref", ref, "--bundle", kept)
    assert code == 0, failed(report)
    kept.unlink()
    changed = tmp_path / "changed"
    shutil.copytree(pulled, changed)
    (changed / "tokenizer" / "vocab.txt").write_bytes(b"a\nEVIL\n")
    (changed / "extra.py").write_text("import os")
    code, report = verify(str(changed), keys, "--oci-ref", ref)
    assert code == 1
    paths = {c["path"] for c in failed(report)["oci-content"]}
    assert paths == {"tokenizer/vocab.txt", "extra.py"}


def test_no_bundle_attached_is_exit_3(registry, keys):
    registry.push_model("rt/unsigned", "v1", DEMO)
    code, report = verify(f"oci://{registry.host}/rt/unsigned:v1", keys)
    assert code == 3
    assert "no bundle is attached" in report["stderr"]


def _replace_layer(registry: Registry, repo: str, tag: str, name: str, data: bytes) -> str:
    """The attacker's move: new bytes for one file, a new manifest, the tag moved to it."""
    body, _ = registry.get_manifest(repo, tag)
    manifest = json.loads(body)
    for layer in manifest["layers"]:
        if layer["annotations"][FILEPATH] == name:
            layer.update(registry.descriptor(repo, data, layer_media_type(name)))
            layer["annotations"] = {FILEPATH: name}
    return registry.push_manifest(repo, tag, manifest)


def test_replaced_layer_and_moved_tag_fails_naming_the_layer(registry, keys, tmp_path: Path):
    registry.push_model("rt/moved", "v1", DEMO)
    bundle = release(registry, "rt/moved", "v1", keys, tmp_path, pull=False)
    new = _replace_layer(registry, "rt/moved", "v1", "config.json", b'{"evil": true}')
    ref = f"oci://{registry.host}/rt/moved:v1"
    # The new digest has no referrers: nothing vouches for it.
    assert verify(ref, keys)[0] == 3
    # The old bundle, given explicitly: exit 1, naming the replaced layer.
    code, report = verify(ref, keys, "--bundle", bundle)
    assert code == 1
    assert report["subject"].endswith(new)
    assert "config.json" in {c.get("path") for c in failed(report)["file-digest"]}
    # The attacker also copies the old bundle onto the new manifest: still exit 1.
    attached = mbom("attach", ref, "--bundle", bundle)
    assert attached.returncode == 0
    code, report = verify(ref, keys)
    assert code == 1
    assert "config.json" in {c.get("path") for c in failed(report)["file-digest"]}
    assert failed(report)["oci-manifest"][0]["expected"] == new


def test_bundle_for_another_digest_fails(registry, keys, tmp_path: Path):
    """Same layers, another manifest (its config differs): the BOM names the other digest."""
    registry.push_model("rt/other", "v1", DEMO)
    bundle = release(registry, "rt/other", "v1", keys, tmp_path, pull=False)
    body, _ = registry.get_manifest("rt/other", "v1")
    manifest = json.loads(body)
    manifest["config"] = registry.descriptor(
        "rt/other", b'{"descriptor": {"name": "other"}}', manifest["config"]["mediaType"]
    )
    other = registry.push_manifest("rt/other", "v2", manifest)
    code, report = verify(f"oci://{registry.host}/rt/other:v2", keys, "--bundle", bundle)
    assert code == 1
    check = failed(report)["oci-manifest"][0]
    assert check["expected"] == other and "another artifact" in check["message"]
    assert "file-digest" not in failed(report)  # the layers alone would have matched


def test_manifest_media_type_check():
    from mbom.hashing._oci_manifest import RegistryIntegrityError, parse_manifest

    with pytest.raises(RegistryIntegrityError):
        parse_manifest(b'{"mediaType": "text/html"}', "sha256:" + "0" * 64, "", where="x")
    assert (
        parse_manifest(
            json.dumps({"mediaType": MANIFEST, "layers": []}).encode(),
            "sha256:" + "0" * 64,
            "",
            where="x",
        ).layers
        == ()
    )


def test_offline_refuses_a_registry(keys, tmp_path: Path):
    for args in (
        ("oci://127.0.0.1:1/a/b:v1",),
        (str(DEMO), "--oci-ref", "oci://127.0.0.1:1/a/b:v1"),
    ):
        result = mbom("verify", *args, "--offline", "--key", keys[1])
        assert result.returncode == 2
        assert "--offline" in result.stderr and result.stderr.count("\n") == 1
