"""The Referrers API path and a lying registry, against the spec-conformant fake
(tests/oci/fakeregistry.py): distribution 2.8 has no Referrers API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.registry import Registry
from tests.oci.conftest import DEMO, mbom
from tests.oci.fakeregistry import fake_registry


@pytest.fixture
def fake():
    with fake_registry() as (host, store):
        yield Registry(host=host, log_path=Path("/dev/null")), store


def _release(server: Registry, repo: str, keys, tmp: Path) -> tuple[str, Path]:
    ref = f"oci://{server.host}/{repo}:v1"
    bom = tmp / f"{repo.replace('/', '-')}.cdx.json"
    assert (
        mbom("generate", "--model", ref, "--no-pull", "--no-environment", "-o", bom).returncode == 0
    )
    assert mbom("sign", bom, "--key", keys[0]).returncode == 0
    return ref, Path(f"{bom}.sigstore.json")


def test_attach_uses_the_referrers_api_when_the_registry_has_it(fake, keys, tmp_path: Path):
    server, store = fake
    digest = server.push_model("api/demo", "v1", DEMO)
    ref, bundle = _release(server, "api/demo", keys, tmp_path)
    attached = mbom("attach", ref, "--bundle", bundle, "--format", "json")
    assert attached.returncode == 0, attached.stderr
    referrer = json.loads(attached.stdout)["referrers"][0]
    assert referrer["via"] == "api"
    assert not [t for t in store.tags if "sha256-" in t]  # no fallback tag was written
    stored = json.loads(store.manifests[referrer["digest"]][0])
    assert stored["artifactType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    assert stored["subject"]["digest"] == digest
    assert stored["config"]["mediaType"] == "application/vnd.oci.empty.v1+json"
    result = mbom("verify", ref, "--key", keys[1], "--format", "json")
    assert result.returncode == 0, result.stdout
    checks = {c["id"]: c for c in json.loads(result.stdout)["checks"]}
    assert "Referrers API" in checks["oci-referrers"]["message"]


def test_referrer_of_another_subject_is_not_used(fake, keys, tmp_path: Path):
    """A listing that carries B's bundle among A's referrers (a confused or hostile index)."""
    server, store = fake
    server.push_model("api/a", "v1", DEMO)
    b_digest = server.push_model("api/b", "v1", DEMO / "tokenizer")
    ref_b, bundle = _release(server, "api/b", keys, tmp_path)
    assert mbom("attach", ref_b, "--bundle", bundle).returncode == 0
    b_referrer = next(d for d, (body, _) in store.manifests.items() if b'"subject"' in body)
    store.extra_referrers.append(
        {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": b_referrer,
            "size": len(store.manifests[b_referrer][0]),
            "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        }
    )
    result = mbom("verify", f"oci://{server.host}/api/a:v1", "--key", keys[1])
    assert result.returncode == 3
    assert f"its subject is {b_digest}" in result.stderr


def test_manifest_whose_digest_is_not_the_one_asked_for_fails(fake, keys, tmp_path: Path):
    """The registry (or a proxy) swaps the manifest: exit 1 with a full report."""
    server, store = fake
    digest = server.push_model("api/lie", "v1", DEMO)
    _ref, bundle = _release(server, "api/lie", keys, tmp_path)
    evil = json.loads(store.manifests[digest][0])
    evil["layers"] = evil["layers"][:1]
    store.lie[digest] = json.dumps(evil).encode()
    for ref in (f"oci://{server.host}/api/lie:v1", f"oci://{server.host}/api/lie@{digest}"):
        result = mbom("verify", ref, "--key", keys[1], "--bundle", bundle, "--format", "json")
        assert result.returncode == 1, result.stderr
        report = json.loads(result.stdout)
        [check] = [c for c in report["checks"] if c["status"] == "fail"]
        assert check["id"] == "oci-registry" and check["expected"] == digest
    generated = mbom(
        "generate",
        "--model",
        f"oci://{server.host}/api/lie:v1",
        "--no-pull",
        "-o",
        tmp_path / "x.json",
    )
    assert generated.returncode == 1 and "not" in generated.stderr
    assert not (tmp_path / "x.json").exists()


def test_huge_manifest_is_refused(fake, keys, tmp_path: Path):
    server, store = fake
    digest = server.push_model("api/huge", "v1", DEMO)
    _ref, bundle = _release(server, "api/huge", keys, tmp_path)
    store.lie[digest] = b"{" + b" " * (5 << 20) + b"}"
    result = mbom(
        "verify",
        f"oci://{server.host}/api/huge:v1",
        "--key",
        keys[1],
        "--bundle",
        bundle,
        "--format",
        "json",
    )
    assert result.returncode == 1
    assert "larger than" in result.stdout


def test_blob_with_other_bytes_is_refused_on_pull(fake, tmp_path: Path):
    server, store = fake
    server.push_model("api/blob", "v1", DEMO)
    layer = next(
        d for d, data in store.blobs.items() if data == (DEMO / "config.json").read_bytes()
    )
    store.lie[layer] = b'{"evil": 1}'
    result = mbom(
        "generate",
        "--model",
        f"oci://{server.host}/api/blob:v1",
        "--no-environment",
        "-o",
        tmp_path / "x.json",
    )
    assert result.returncode == 1
    assert layer in result.stderr


def test_upload_sent_to_another_host_is_refused(fake, keys, tmp_path: Path):
    """A registry that answers the upload POST with a Location elsewhere would receive the
    PUT with the registry's credentials."""
    server, store = fake
    server.push_model("api/up", "v1", DEMO)
    ref, bundle = _release(server, "api/up", keys, tmp_path)
    store.upload_base = "http://127.0.0.2:9"
    result = mbom("attach", ref, "--bundle", bundle)
    assert result.returncode == 2
    assert "127.0.0.2:9; refusing" in result.stderr
    assert not [d for d, (body, _) in store.manifests.items() if b'"subject"' in body]
