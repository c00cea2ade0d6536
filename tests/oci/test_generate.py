"""``mbom generate --model oci://...`` against a real registry (docker-registry on 127.0.0.1)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.helpers.minilm import minilm_model_dir
from tests.helpers.registry import INDEX, MANIFEST
from tests.oci.conftest import DEMO, mbom, model_component, properties, push_tar_model, read_bom


def _layers(component: dict) -> dict[str, dict]:
    return {c["name"]: c for c in component["components"]}


def test_no_pull_records_every_layer_without_reading_a_blob(registry, tmp_path: Path):
    digest = registry.push_model("gen/demo", "v1", DEMO)
    out = tmp_path / "bom.cdx.json"
    mark = registry.mark()
    result = mbom(
        "generate",
        "--model",
        f"oci://{registry.host}/gen/demo:v1",
        "--no-pull",
        "--no-environment",
        "-o",
        out,
    )
    assert result.returncode == 0, result.stderr
    assert registry.blob_requests(mark) == []  # the access log: manifests only
    assert any("/manifests/v1" in path for _, path in registry.requests_since(mark))
    component = model_component(read_bom(out))
    props = properties(component)
    assert props["mbom:oci:manifest-digest"] == digest
    assert props["mbom:oci:reference"].endswith(f"@{digest}")
    assert props["mbom:oci:pulled"] == "false"
    assert "mbom:checkpoint:scan" not in props  # nothing was read: no content-scan claim
    assert component["purl"].startswith(f"pkg:oci/demo@{digest.replace(':', '%3A')}") or (
        component["purl"].startswith(f"pkg:oci/demo@{digest}")
    )
    files = _layers(component)
    expected = {p.relative_to(DEMO).as_posix(): p for p in DEMO.rglob("*") if p.is_file()}
    assert set(files) == set(expected)
    for name, path in expected.items():
        layer_digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert files[name]["hashes"][0]["content"] == layer_digest
        assert properties(files[name])["mbom:oci:layer-digest"] == f"sha256:{layer_digest}"
    assert mbom("validate", out).returncode == 0


def test_pull_hashes_the_files_and_reads_the_model_card(registry, tmp_path: Path):
    registry.push_model("gen/demo-pull", "v1", DEMO)
    out = tmp_path / "bom.cdx.json"
    result = mbom(
        "generate",
        "--model",
        f"oci://{registry.host}/gen/demo-pull:v1",
        "--no-environment",
        "-o",
        out,
    )
    assert result.returncode == 0, result.stderr
    component = model_component(read_bom(out))
    props = properties(component)
    assert props["mbom:oci:pulled"] == "true"
    assert props["mbom:checkpoint:scan"] == "content-v1"
    assert props["mbom:hf:model_type"] == "tiny-mlp"  # config.json parsed from the pulled layer


def test_minilm_artifact(registry, tmp_path: Path):
    model = minilm_model_dir()
    digest = registry.push_model("gen/minilm", "main", model)
    out = tmp_path / "bom.cdx.json"
    result = mbom(
        "generate",
        "--model",
        f"oci://{registry.host}/gen/minilm:main",
        "--no-environment",
        "-o",
        out,
    )
    assert result.returncode == 0, result.stderr
    component = model_component(read_bom(out))
    files = _layers(component)
    weights = properties(files["model.safetensors"])
    assert weights["mbom:checkpoint:format"] == "safetensors"
    assert weights["mbom:checkpoint:safe-to-load"] == "true"
    assert properties(component)["mbom:oci:manifest-digest"] == digest
    assert len(files) == sum(1 for p in model.rglob("*") if p.is_file())


def test_tar_layer_files_are_recorded_under_the_layer(registry, tmp_path: Path):
    push_tar_model(
        registry, "gen/tar", "v1", {"tokenizer/vocab.txt": b"a\nb\n", "tokenizer/merges.txt": b"ab"}
    )
    out = tmp_path / "bom.cdx.json"
    result = mbom(
        "generate", "--model", f"oci://{registry.host}/gen/tar:v1", "--no-environment", "-o", out
    )
    assert result.returncode == 0, result.stderr
    files = _layers(model_component(read_bom(out)))
    assert set(files) == {"weights.bin", "tokenizer"}
    inner = {c["name"]: c["hashes"][0]["content"] for c in files["tokenizer"]["components"]}
    assert inner == {
        "tokenizer/merges.txt": hashlib.sha256(b"ab").hexdigest(),
        "tokenizer/vocab.txt": hashlib.sha256(b"a\nb\n").hexdigest(),
    }
    assert mbom("validate", out).returncode == 0


def test_tar_layer_climbing_out_is_refused(registry, tmp_path: Path):
    """Attack: a member named ../../x would be written outside the private copy."""
    push_tar_model(registry, "gen/evil", "v1", {"../../escaped.txt": b"owned"})
    result = mbom(
        "generate",
        "--model",
        f"oci://{registry.host}/gen/evil:v1",
        "--no-environment",
        "-o",
        tmp_path / "bom.cdx.json",
    )
    assert result.returncode == 2
    assert "leaves the model root" in result.stderr
    assert not (tmp_path / "bom.cdx.json").exists()


def test_tar_layer_link_is_refused(registry, tmp_path: Path):
    """Attack: a symbolic link member pointing out of the model (e.g. at ~/.ssh)."""
    push_tar_model(
        registry, "gen/link", "v1", {"tokenizer/a.txt": b"a"}, **{"tokenizer/key": "/etc/passwd"}
    )
    result = mbom(
        "generate",
        "--model",
        f"oci://{registry.host}/gen/link:v1",
        "--no-environment",
        "-o",
        tmp_path / "bom.cdx.json",
    )
    assert result.returncode == 2
    assert "tokenizer/key" in result.stderr and "link" in result.stderr


def _index(registry, repo: str) -> tuple[str, str]:
    amd = registry.push_model(repo, "amd64", DEMO)
    body, _ = registry.get_manifest(repo, "amd64")
    other = registry.push_layers(
        repo,
        "arm64",
        [
            registry.descriptor(
                repo,
                b"arm weights",
                "application/vnd.cncf.model.weight.v1.raw",
                **{"org.cncf.model.filepath": "weights.bin"},
            )
        ],
    )
    arm_body, _ = registry.get_manifest(repo, "arm64")
    index = {
        "schemaVersion": 2,
        "mediaType": INDEX,
        "manifests": [
            {
                "mediaType": MANIFEST,
                "digest": amd,
                "size": len(body),
                "platform": {"os": "linux", "architecture": "amd64"},
            },
            {
                "mediaType": MANIFEST,
                "digest": other,
                "size": len(arm_body),
                "platform": {"os": "linux", "architecture": "arm64"},
            },
        ],
    }
    return registry.push_manifest(repo, "multi", index, INDEX), amd


def test_index_is_resolved_with_platform(registry, tmp_path: Path):
    index_digest, amd = _index(registry, "gen/multi")
    ref = f"oci://{registry.host}/gen/multi:multi"
    ambiguous = mbom(
        "generate", "--model", ref, "--no-pull", "--no-environment", "-o", tmp_path / "a.json"
    )
    assert ambiguous.returncode == 2
    assert "--platform" in ambiguous.stderr and "linux/arm64" in ambiguous.stderr
    out = tmp_path / "bom.cdx.json"
    result = mbom(
        "generate",
        "--model",
        ref,
        "--no-pull",
        "--platform",
        "linux/amd64",
        "--no-environment",
        "-o",
        out,
    )
    assert result.returncode == 0, result.stderr
    props = properties(model_component(read_bom(out)))
    assert props["mbom:oci:manifest-digest"] == amd
    assert props["mbom:oci:index-digest"] == index_digest
    assert props["mbom:oci:platform"] == "linux/amd64"


def test_digest_that_does_not_exist_and_bad_references(registry, tmp_path: Path):
    missing = f"oci://{registry.host}/gen/demo@sha256:{'0' * 64}"
    result = mbom("generate", "--model", missing, "--no-pull", "-o", tmp_path / "b.json")
    assert result.returncode == 2 and "not found" in result.stderr
    for bad in ("oci://host", "oci://h/Upper/Case:v1", "oci://h/r@sha256:abc"):
        result = mbom("generate", "--model", bad, "--no-pull", "-o", tmp_path / "b.json")
        assert result.returncode == 2, bad
        assert result.stderr.count("\n") == 1, result.stderr


def test_remote_registry_needs_https_unless_listed(monkeypatch):
    from mbom.hashing._oci_ref import parse_reference

    monkeypatch.delenv("MBOM_OCI_INSECURE_REGISTRIES", raising=False)
    assert parse_reference("oci://127.0.0.1:5000/a/b:v1").plain_http
    assert parse_reference("oci://localhost/a:v1").plain_http
    assert not parse_reference("oci://registry.example:5000/a:v1").plain_http
    monkeypatch.setenv("MBOM_OCI_INSECURE_REGISTRIES", "registry.example:5000")
    assert parse_reference("oci://registry.example:5000/a:v1").plain_http
    assert not parse_reference("oci://registry.example:6000/a:v1").plain_http


def test_oci_flags_need_an_oci_model(tmp_path: Path):
    result = mbom("generate", "--model", DEMO, "--no-pull", "-o", tmp_path / "b.json")
    assert result.returncode == 2
    assert "oci:// model only" in result.stderr


def test_verify_an_index_with_platform(registry, keys, tmp_path: Path):
    _index_digest, amd = _index(registry, "gen/multi-verify")
    ref = f"oci://{registry.host}/gen/multi-verify:multi"
    bom = tmp_path / "bom.cdx.json"
    flags = ("--no-pull", "--platform", "linux/amd64")
    assert mbom("generate", "--model", ref, *flags, "--no-environment", "-o", bom).returncode == 0
    assert mbom("sign", bom, "--key", keys[0]).returncode == 0
    bundle = f"{bom}.sigstore.json"
    attached = mbom("attach", ref, "--platform", "linux/amd64", "--bundle", bundle)
    assert attached.returncode == 0, attached.stderr
    assert amd in attached.stdout  # attached to the platform's manifest, not the index
    ok = mbom("verify", ref, "--platform", "linux/amd64", "--key", keys[1])
    assert ok.returncode == 0, ok.stdout
    other = mbom("verify", ref, "--platform", "linux/arm64", "--key", keys[1])
    assert other.returncode == 3  # nothing attached to the arm64 manifest


def test_gzip_tar_layer_and_the_unpacked_size_bound(registry, tmp_path: Path):
    files = {"tokenizer/vocab.txt": b"x" * 4096}
    push_tar_model(registry, "gen/gzip", "v1", files, gzip=True)
    ref = f"oci://{registry.host}/gen/gzip:v1"
    out = tmp_path / "bom.cdx.json"
    result = mbom("generate", "--model", ref, "--no-environment", "-o", out)
    assert result.returncode == 0, result.stderr
    inner = _layers(model_component(read_bom(out)))["tokenizer"]["components"]
    assert inner[0]["hashes"][0]["content"] == hashlib.sha256(b"x" * 4096).hexdigest()
    # A decompression bomb: the unpacked bytes are bounded whatever the layer's size.
    bounded = mbom(
        "generate",
        "--model",
        ref,
        "--no-environment",
        "-o",
        tmp_path / "b.json",
        env={"MBOM_OCI_MAX_UNPACKED_BYTES": "1000"},
    )
    assert bounded.returncode == 2
    assert "more than 1000 bytes" in bounded.stderr


def test_credentials_come_from_the_docker_config(tmp_path: Path):
    """A registry with users (htpasswd, HTTP Basic): mbom reads DOCKER_CONFIG/config.json."""
    import base64
    import json as jsonlib

    from tests.helpers.registry import running_registry

    (tmp_path / "registry").mkdir()
    with running_registry(tmp_path / "registry", users={"release": "s3cret"}) as server:
        digest = server.push_model("auth/demo", "v1", DEMO)
        ref = f"oci://{server.host}/auth/demo:v1"
        args = ("generate", "--model", ref, "--no-pull", "--no-environment")
        empty = tmp_path / "empty"
        empty.mkdir()
        (empty / "config.json").write_text("{}")
        denied = mbom(*args, "-o", tmp_path / "a.json", env={"DOCKER_CONFIG": str(empty)})
        assert denied.returncode == 2
        assert "authentication required" in denied.stderr
        docker = tmp_path / "docker"
        docker.mkdir()
        token = base64.b64encode(b"release:s3cret").decode()
        (docker / "config.json").write_text(
            jsonlib.dumps({"auths": {server.host: {"auth": token}}})
        )
        out = tmp_path / "bom.cdx.json"
        allowed = mbom(*args, "-o", out, env={"DOCKER_CONFIG": str(docker)})
        assert allowed.returncode == 0, allowed.stderr
        assert properties(model_component(read_bom(out)))["mbom:oci:manifest-digest"] == digest
        assert token not in out.read_text()  # credentials never reach the BOM
