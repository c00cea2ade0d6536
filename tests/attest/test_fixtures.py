"""Real Sigstore bundles (../shared/fixtures/sigstore, see its INDEX.md) get their verdicts,
through mbom's own API, offline; and each passing one fails with a wrong identity, the other
trusted root, or a changed artifact byte.
"""

from __future__ import annotations

import hashlib

import pytest

from mbom.attest import verify_bundle
from mbom.errors import VerificationError
from tests.attest.conftest import FIXTURES
from tests.sigstore_stack.netguard import loopback_only

SIGSTORE = FIXTURES / "sigstore"
GITHUB = "https://token.actions.githubusercontent.com"
BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
PRODUCTION = "sigstore-python/production_trusted_root.json"
STAGING = "sigstore-python/staging_trusted_root.json"
A_TXT = "conformance/a.txt"

# (bundle, trusted root, identity, issuer, artifact) -- from INDEX.md, all "pass"
PASSING = [
    ("sigstore-python/a.dsse.staging-rekor-v2.txt.sigstore.json", STAGING, BEACON, GITHUB, A_TXT),
    (
        "conformance/happy-path-intoto-in-dsse-v3/bundle.sigstore.json",
        PRODUCTION,
        BEACON,
        GITHUB,
        A_TXT,
    ),
    (
        "conformance/rekor2-dsse-happy-path/bundle.sigstore.json",
        "conformance/rekor2-dsse-happy-path/trusted_root.json",
        BEACON,
        GITHUB,
        A_TXT,
    ),
    (
        "sigstore-python/bundle_v3.txt.sigstore",
        STAGING,
        "william@yossarian.net",
        "https://github.com/login/oauth",
        "sigstore-python/bundle_v3.txt",
    ),
    (
        "sigstore-python/bundle_v3_github.whl.sigstore",
        PRODUCTION,
        "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2",
        GITHUB,
        "sigstore-python/bundle_v3_github.whl",
    ),
    ("conformance/happy-path-v0.3/bundle.sigstore.json", PRODUCTION, BEACON, GITHUB, A_TXT),
]
IDS = [
    case[0].split("/")[-2 if case[0].endswith("bundle.sigstore.json") else -1] for case in PASSING
]
MANAGED = SIGSTORE / "conformance/managed-key-happy-path"

pytestmark = pytest.mark.skipif(not SIGSTORE.is_dir(), reason="shared fixtures not present")


@pytest.fixture(autouse=True)
def _offline():
    with loopback_only():
        yield


def _digest(relative: str, flip: bool = False) -> str:
    data = bytearray((SIGSTORE / relative).read_bytes())
    if flip:
        data[0] ^= 0x01
    return hashlib.sha256(bytes(data)).hexdigest()


def _verify(bundle, root, identity, issuer, artifact, flip=False):
    return verify_bundle(
        SIGSTORE / bundle,
        identity=identity,
        issuer=issuer,
        trusted_root=SIGSTORE / root,
        artifact_digest=_digest(artifact, flip),
    )


@pytest.mark.parametrize(("bundle", "root", "identity", "issuer", "artifact"), PASSING, ids=IDS)
def test_passing_bundles(bundle, root, identity, issuer, artifact):
    result = _verify(bundle, root, identity, issuer, artifact)
    assert result.signers[0].identity == identity and result.signers[0].issuer == issuer
    assert {"certificate", "identity", "tlog entry", "signature"} <= set(result.checks)
    if result.content == "dsse":
        assert result.statement is not None and "subject" in result.checks


@pytest.mark.parametrize(("bundle", "root", "identity", "issuer", "artifact"), PASSING, ids=IDS)
def test_wrong_identity_fails(bundle, root, identity, issuer, artifact):
    with pytest.raises(VerificationError) as caught:
        _verify(bundle, root, "someone@example.com", issuer, artifact)
    assert caught.value.check == "identity"


@pytest.mark.parametrize(("bundle", "root", "identity", "issuer", "artifact"), PASSING, ids=IDS)
def test_other_trusted_root_fails(bundle, root, identity, issuer, artifact):
    other = STAGING if root == PRODUCTION else PRODUCTION  # rekor2 ships the staging root
    with pytest.raises(VerificationError):
        _verify(bundle, other, identity, issuer, artifact)


@pytest.mark.parametrize(("bundle", "root", "identity", "issuer", "artifact"), PASSING, ids=IDS)
def test_changed_artifact_byte_fails(bundle, root, identity, issuer, artifact):
    with pytest.raises(VerificationError) as caught:
        _verify(bundle, root, identity, issuer, artifact, flip=True)
    assert caught.value.check in {"subject", "message digest"}


def test_invalid_dsse_signature_fails():
    with pytest.raises(VerificationError, match="signature") as caught:
        _verify(
            "conformance/dsse-invalid-sig_fail/bundle.sigstore.json",
            PRODUCTION,
            BEACON,
            GITHUB,
            A_TXT,
        )
    assert caught.value.check == "signature"


def test_managed_key_bundle_passes_with_its_key_and_log_entry():
    result = verify_bundle(
        MANAGED / "bundle.sigstore.json",
        keys=[MANAGED / "key.pub"],
        trusted_root=SIGSTORE / PRODUCTION,
        artifact_digest=_digest(A_TXT),
    )
    assert result.content == "message" and result.message_digest == _digest(A_TXT)
    assert {"signature", "key hint", "tlog entry"} <= set(result.checks)
    assert result.integrated_time is not None and result.integrated_time.year == 2025


def test_managed_key_bundle_fails_with_another_root_or_artifact():
    with pytest.raises(VerificationError) as caught:
        verify_bundle(
            MANAGED / "bundle.sigstore.json",
            keys=[MANAGED / "key.pub"],
            trusted_root=SIGSTORE / STAGING,
            artifact_digest=_digest(A_TXT),
        )
    assert caught.value.check == "tlog entry"
    with pytest.raises(VerificationError) as caught:
        verify_bundle(
            MANAGED / "bundle.sigstore.json",
            keys=[MANAGED / "key.pub"],
            artifact_digest=_digest(A_TXT, flip=True),
        )
    assert caught.value.check == "message digest"


def test_managed_key_bundle_fails_with_another_key(key_pairs):
    with pytest.raises(VerificationError) as caught:
        verify_bundle(
            MANAGED / "bundle.sigstore.json",
            keys=[key_pairs["ecdsa-p256"][1]],
            artifact_digest=_digest(A_TXT),
        )
    assert caught.value.check == "signature"


def test_managed_key_log_entry_must_match_the_bundle(tmp_path):
    import json

    from mbom.attest.bundles import read_bundle

    document = read_bundle(MANAGED / "bundle.sigstore.json")
    # the same entry presented with another (valid-looking) signature: the log does not record it
    document = json.loads(json.dumps(document))
    entry = document["verificationMaterial"]["tlogEntries"][0]
    entry["inclusionPromise"]["signedEntryTimestamp"] = (
        entry["inclusionPromise"]["signedEntryTimestamp"][:-8] + "AAAAAAA="
    )
    with pytest.raises(VerificationError) as caught:
        verify_bundle(
            document,
            keys=[MANAGED / "key.pub"],
            trusted_root=SIGSTORE / PRODUCTION,
            artifact_digest=_digest(A_TXT),
        )
    assert caught.value.check == "tlog entry"
