"""Keyless bundles (local Sigstore stack) and the real Sigstore bundles of the shared fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mbom.verify.pipeline import VerifyRequest, verify
from mbom.verify.trust import IdentityRule
from tests.sigstore_stack import DEFAULT_EMAIL, DEFAULT_ISSUER
from tests.sigstore_stack.netguard import loopback_only
from tests.verify.conftest import FIXTURES, Signed

SIGSTORE = FIXTURES / "sigstore"
A_TXT = SIGSTORE / "conformance/a.txt"
GITHUB = "https://token.actions.githubusercontent.com"
BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
PRODUCTION = SIGSTORE / "sigstore-python/production_trusted_root.json"
STAGING = SIGSTORE / "sigstore-python/staging_trusted_root.json"
REAL = [
    ("sigstore-python/a.dsse.staging-rekor-v2.txt.sigstore.json", STAGING),
    ("conformance/happy-path-intoto-in-dsse-v3/bundle.sigstore.json", PRODUCTION),
    (
        "conformance/rekor2-dsse-happy-path/bundle.sigstore.json",
        SIGSTORE / "conformance/rekor2-dsse-happy-path/trusted_root.json",
    ),
    ("conformance/happy-path-v0.3/bundle.sigstore.json", PRODUCTION),
]


@pytest.fixture(autouse=True)
def _offline():
    with loopback_only():
        yield


@pytest.fixture(scope="module")
def keyless_bundle(sigstore_stack, signed: Signed, tmp_path_factory) -> Path:
    from mbom.attest import Keyless, sign_bom, write_bundle

    bom = json.loads(signed.bom.read_text())
    bundle = sign_bom(
        bom,
        keyless=Keyless(
            identity_token=sigstore_stack.mint_token(),
            trust_config=sigstore_stack.trust_config_path,
        ),
    )
    return write_bundle(bundle, tmp_path_factory.mktemp("keyless") / "bom.sigstore.json")


def _keyless(signed, bundle, root, identity=DEFAULT_EMAIL, regex=False):
    return verify(
        VerifyRequest(
            path=str(signed.model),
            bundles=(str(bundle),),
            trusted_root=str(root),
            schema=False,
            identities=(IdentityRule(identity, DEFAULT_ISSUER, identity_regex=regex),),
            parents=(str(signed.parent_bundle),),
            keys=(str(signed.pub),),
        )
    )


def test_keyless_verifies(sigstore_stack, signed, keyless_bundle) -> None:
    report = _keyless(signed, keyless_bundle, sigstore_stack.trusted_root_path)
    assert report.verified, report.failures()
    assert report.signers[0]["identity"] == DEFAULT_EMAIL
    assert _keyless(
        signed,
        keyless_bundle,
        sigstore_stack.trusted_root_path,
        identity=r".*@example\..*",
        regex=True,
    ).verified


def test_wrong_identity_fails(sigstore_stack, signed, keyless_bundle) -> None:
    report = _keyless(
        signed, keyless_bundle, sigstore_stack.trusted_root_path, identity="mallory@example.com"
    )
    assert report.exit_code == 1 and report.failures()[0].id == "identity"


def test_untrusted_root_fails(sigstore_stack, signed, keyless_bundle, tmp_path) -> None:
    foreign = sigstore_stack.write_foreign_trusted_root(tmp_path / "foreign.json")
    report = _keyless(signed, keyless_bundle, foreign)
    assert report.exit_code == 1
    assert report.failures()[0].id in {"certificate", "tlog", "signature"}


def test_keyless_without_root_exits_3(signed, keyless_bundle) -> None:
    report = verify(
        VerifyRequest(
            path=str(signed.model),
            bundles=(str(keyless_bundle),),
            identities=(IdentityRule(DEFAULT_EMAIL, DEFAULT_ISSUER),),
            schema=False,
        )
    )
    assert report.exit_code == 3


needs_fixtures = pytest.mark.skipif(not SIGSTORE.is_dir(), reason="shared fixtures absent")


@needs_fixtures
@pytest.mark.parametrize(("bundle", "root"), REAL, ids=[b.split("/")[-2] for b, _ in REAL])
def test_real_bundles_verify_a_txt(bundle, root, tmp_path) -> None:
    request = VerifyRequest(
        path=str(A_TXT),
        bundles=(str(SIGSTORE / bundle),),
        identities=(IdentityRule(BEACON, GITHUB),),
        trusted_root=str(root),
        artifact_signature=True,  # happy-path-v0.3 is a message signature
    )
    report = verify(request)
    assert report.verified, [c.as_json() for c in report.failures()]
    changed = tmp_path / "a.txt"
    data = bytearray(A_TXT.read_bytes())
    data[0] ^= 1
    changed.write_bytes(bytes(data))
    tampered = verify(VerifyRequest(**{**_fields(request), "path": str(changed)}))
    assert tampered.exit_code == 1
    assert tampered.failures()[0].id in {"subject", "message-digest"}


@needs_fixtures
def test_managed_key_bundle(tmp_path) -> None:
    managed = SIGSTORE / "conformance/managed-key-happy-path"
    request = VerifyRequest(
        path=str(A_TXT),
        bundles=(str(managed / "bundle.sigstore.json"),),
        keys=(str(managed / "key.pub"),),
        trusted_root=str(PRODUCTION),
        artifact_signature=True,
    )
    assert verify(request).verified
    refused = verify(VerifyRequest(**{**_fields(request), "artifact_signature": False}))
    assert refused.exit_code == 1 and refused.failures()[0].id == "artifact-signature"
    changed = tmp_path / "a.txt"
    changed.write_bytes(A_TXT.read_bytes() + b"!")
    assert verify(VerifyRequest(**{**_fields(request), "path": str(changed)})).exit_code == 1


@needs_fixtures
def test_invalid_signature_fixture_fails() -> None:
    report = verify(
        VerifyRequest(
            path=str(A_TXT),
            bundles=(str(SIGSTORE / "conformance/dsse-invalid-sig_fail/bundle.sigstore.json"),),
            identities=(IdentityRule(BEACON, GITHUB),),
            trusted_root=str(PRODUCTION),
        )
    )
    assert report.exit_code == 1 and report.failures()[0].id == "signature"


def _fields(request: VerifyRequest) -> dict:
    return {name: getattr(request, name) for name in VerifyRequest.__dataclass_fields__}
