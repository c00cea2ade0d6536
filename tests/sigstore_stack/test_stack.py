"""The local stack against sigstore-python 4.5.1 itself (library and CLI), no mbom code.

Positive: sign a blob and a DSSE in-toto statement, verify both. Negative: wrong identity,
an unrelated trusted root, tampered inclusion proof / checkpoint / SET, forged tokens, bad
log submissions.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sigstore import dsse
from sigstore._internal.fulcio.client import FulcioClient, FulcioClientError
from sigstore._internal.rekor.client import RekorClient
from sigstore._internal.trust import KeyringPurpose
from sigstore.errors import VerificationError
from sigstore.models import Bundle, ClientTrustConfig, TrustedRoot
from sigstore.oidc import IdentityToken, Issuer
from sigstore.sign import SigningContext
from sigstore.verify import Verifier, policy

from tests.sigstore_stack import DEFAULT_EMAIL, DEFAULT_ISSUER, GITHUB_ACTIONS_ISSUER
from tests.sigstore_stack.netguard import NetworkBlocked, loopback_only
from tests.sigstore_stack.principals import ISSUER_V1_OID
from tests.sigstore_stack.stack import SigstoreStack
from tests.sigstore_stack.tokens import TokenIssuer

ARTIFACT = b"model weights, or anything else worth signing\n"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
WORKFLOW_IDENTITY = (
    "https://github.com/example-org/model/.github/workflows/release.yml@refs/heads/main"
)


@dataclass(frozen=True)
class Signed:
    """One blob bundle and one DSSE bundle, signed once per module."""

    blob: Bundle
    statement: Bundle


def _statement() -> dsse.Statement:
    digest = {"sha256": hashlib.sha256(ARTIFACT).hexdigest()}
    return (
        dsse.StatementBuilder()
        .subjects([dsse.Subject(name="model.safetensors", digest=digest)])
        .predicate_type("https://cyclonedx.org/bom")
        .predicate({"bomFormat": "CycloneDX", "specVersion": "1.6"})
        .build()
    )


def _sign(stack: SigstoreStack, token: str, artifacts: list[bytes]) -> list[Bundle]:
    config = ClientTrustConfig.from_json(stack.trust_config_path.read_text())
    context = SigningContext.from_trust_config(config)
    with context.signer(IdentityToken(token)) as signer:
        return [signer.sign_artifact(artifact) for artifact in artifacts]


@pytest.fixture(scope="module", autouse=True)
def _offline() -> Iterator[None]:
    """Module-wide (so it also covers the module fixtures that sign): in-process traffic
    past 127.0.0.1 fails loudly."""
    with loopback_only():
        yield


@pytest.fixture(scope="module")
def trust_config(sigstore_stack: SigstoreStack) -> ClientTrustConfig:
    return ClientTrustConfig.from_json(sigstore_stack.trust_config_path.read_text())


@pytest.fixture(scope="module")
def verifier(trust_config: ClientTrustConfig) -> Verifier:
    return Verifier(trusted_root=trust_config.trusted_root)


@pytest.fixture(scope="module")
def signed(sigstore_stack: SigstoreStack, trust_config: ClientTrustConfig) -> Signed:
    context = SigningContext.from_trust_config(trust_config)
    token = IdentityToken(sigstore_stack.mint_token(identity=DEFAULT_EMAIL, issuer=DEFAULT_ISSUER))
    with context.signer(token) as signer:
        return Signed(signer.sign_artifact(ARTIFACT), signer.sign_dsse(_statement()))


IDENTITY = policy.Identity(identity=DEFAULT_EMAIL, issuer=DEFAULT_ISSUER)


# --- trust documents ------------------------------------------------------------------------


def test_trust_config_points_at_the_local_services(
    sigstore_stack: SigstoreStack, trust_config: ClientTrustConfig
) -> None:
    signing = trust_config.signing_config
    tlogs = signing.get_tlogs()
    assert [type(t) for t in tlogs] == [RekorClient]
    assert tlogs[0].url == f"{sigstore_stack.rekor_url}/api/v1"
    assert signing.get_fulcio().url == sigstore_stack.fulcio_url
    assert signing.get_tsas() == []
    assert signing.get_oidc_url() == sigstore_stack.oidc_url
    issuer = Issuer(signing.get_oidc_url())
    assert issuer.oidc_config.token_endpoint.startswith(sigstore_stack.oidc_url)
    root = TrustedRoot.from_file(str(sigstore_stack.trusted_root_path))
    assert root.get_fulcio_certs() == sigstore_stack.material.ca.chain
    for url in (sigstore_stack.fulcio_url, sigstore_stack.rekor_url, sigstore_stack.oidc_url):
        assert url.startswith("http://127.0.0.1:")


def test_network_guard_is_active() -> None:
    with pytest.raises(NetworkBlocked):
        urllib.request.urlopen("https://fulcio.sigstore.dev", timeout=1)


def test_minted_token_satisfies_identity_token(sigstore_stack: SigstoreStack) -> None:
    token = IdentityToken(sigstore_stack.mint_token())
    assert (token.identity, token.issuer, token.federated_issuer) == (
        DEFAULT_EMAIL,
        DEFAULT_ISSUER,
        DEFAULT_ISSUER,
    )


# --- sign and verify with the library ----------------------------------------------------------


def test_blob_bundle_verifies(signed: Signed, verifier: Verifier) -> None:
    verifier.verify_artifact(ARTIFACT, signed.blob, IDENTITY)
    entry = signed.blob.log_entry._inner
    assert (entry.kind_version.kind, entry.kind_version.version) == ("hashedrekord", "0.0.1")


def test_dsse_bundle_verifies(signed: Signed, verifier: Verifier) -> None:
    payload_type, payload = verifier.verify_dsse(signed.statement, IDENTITY)
    assert payload_type == "application/vnd.in-toto+json"
    assert json.loads(payload)["_type"] == STATEMENT_TYPE
    entry = signed.statement.log_entry._inner
    assert (entry.kind_version.kind, entry.kind_version.version) == ("dsse", "0.0.1")


def test_bundles_round_trip_through_json(signed: Signed, verifier: Verifier) -> None:
    bundle = Bundle.from_json(signed.blob.to_json())
    assert json.loads(bundle.to_json())["mediaType"] == Bundle.BundleType.BUNDLE_0_3.value
    verifier.verify_artifact(ARTIFACT, bundle, IDENTITY)


def test_leaf_certificate_profile(sigstore_stack: SigstoreStack, signed: Signed) -> None:
    cert = signed.blob.signing_certificate
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.critical and san.value.get_values_for_type(x509.RFC822Name) == [DEFAULT_EMAIL]
    assert (
        cert.extensions.get_extension_for_oid(ISSUER_V1_OID).value.value == DEFAULT_ISSUER.encode()
    )
    policy.OIDCIssuerV2(DEFAULT_ISSUER).verify(cert)
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == dt.timedelta(minutes=10)
    assert cert.issuer == sigstore_stack.material.ca.intermediate.subject
    scts = cert.extensions.get_extension_for_class(x509.PrecertificateSignedCertificateTimestamps)
    assert [sct.log_id for sct in scts.value] == [sigstore_stack.material.ct_log.log_id]


def test_github_workflow_identity(sigstore_stack: SigstoreStack, verifier: Verifier) -> None:
    token = sigstore_stack.mint_token(identity=WORKFLOW_IDENTITY, issuer=GITHUB_ACTIONS_ISSUER)
    (bundle,) = _sign(sigstore_stack, token, [ARTIFACT])
    workflow_policy = policy.AllOf(
        [
            policy.Identity(identity=WORKFLOW_IDENTITY, issuer=GITHUB_ACTIONS_ISSUER),
            policy.OIDCIssuerV2(GITHUB_ACTIONS_ISSUER),
            policy.GitHubWorkflowRepository("example-org/model"),
            policy.GitHubWorkflowRef("refs/heads/main"),
            policy.OIDCBuildSignerURI(WORKFLOW_IDENTITY),
            policy.OIDCSourceRepositoryURI("https://github.com/example-org/model"),
        ]
    )
    verifier.verify_artifact(ARTIFACT, bundle, workflow_policy)
    sans = bundle.signing_certificate.extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert sans.value.get_values_for_type(x509.UniformResourceIdentifier) == [WORKFLOW_IDENTITY]


def test_federated_issuer_lands_in_the_certificate(
    sigstore_stack: SigstoreStack, verifier: Verifier
) -> None:
    upstream = "https://github.com/login/oauth"
    token = sigstore_stack.mint_token(
        identity=DEFAULT_EMAIL, issuer="https://oauth2.sigstore.dev/auth", federated_issuer=upstream
    )
    assert IdentityToken(token).federated_issuer == upstream
    (bundle,) = _sign(sigstore_stack, token, [ARTIFACT])
    verifier.verify_artifact(
        ARTIFACT, bundle, policy.Identity(identity=DEFAULT_EMAIL, issuer=upstream)
    )


def test_log_info_and_entry_lookup(
    sigstore_stack: SigstoreStack, signed: Signed, trust_config: ClientTrustConfig
) -> None:
    client = RekorClient(sigstore_stack.rekor_url)
    info = client.log.get()
    assert info.tree_id == str(sigstore_stack.log.tree_id)
    original = signed.statement.log_entry._inner
    assert original.log_index >= 1  # signed after the blob; sigstore's get() rejects index 0
    uuid = next(iter(sigstore_stack.log.get_by_index(original.log_index)))
    keyring = trust_config.trusted_root.rekor_keyring(KeyringPurpose.VERIFY)
    for entry in (
        client.log.entries.get(log_index=original.log_index),
        client.log.entries.get(uuid=uuid),
    ):
        assert entry._inner.canonicalized_body == original.canonicalized_body
        assert entry._inner.inclusion_proof.tree_size >= info.tree_size
        entry._verify(keyring)  # proof against the current tree, checkpoint and SET


# --- the sigstore CLI ------------------------------------------------------------------------


def _sigstore_cli() -> list[str]:
    script = Path(sys.executable).with_name("sigstore")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sigstore"]


def _run_cli(stack: SigstoreStack, *args: str) -> subprocess.CompletedProcess[str]:
    command = [*_sigstore_cli(), "--trust-config", str(stack.trust_config_path), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def blob_on_disk(tmp_path_factory: pytest.TempPathFactory, signed: Signed) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("cli")
    artifact, bundle = directory / "artifact.bin", directory / "artifact.bin.sigstore.json"
    artifact.write_bytes(ARTIFACT)
    bundle.write_text(signed.blob.to_json())
    return artifact, bundle


@pytest.mark.parametrize("offline", [True, False], ids=["offline", "default"])
def test_cli_verify_identity(
    sigstore_stack: SigstoreStack, blob_on_disk: tuple[Path, Path], offline: bool
) -> None:
    artifact, bundle = blob_on_disk
    result = _run_cli(
        sigstore_stack,
        "verify",
        "identity",
        *(["--offline"] if offline else []),
        "--bundle",
        str(bundle),
        "--cert-identity",
        DEFAULT_EMAIL,
        "--cert-oidc-issuer",
        DEFAULT_ISSUER,
        str(artifact),
    )
    assert result.returncode == 0, result.stderr
    assert f"OK: {artifact}" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("identity", "issuer"),
    [("someone-else@example.test", DEFAULT_ISSUER), (DEFAULT_EMAIL, "https://evil.example.test")],
    ids=["identity", "issuer"],
)
def test_cli_verify_rejects_wrong_identity(
    sigstore_stack: SigstoreStack, blob_on_disk: tuple[Path, Path], identity: str, issuer: str
) -> None:
    artifact, bundle = blob_on_disk
    result = _run_cli(
        sigstore_stack,
        "verify",
        "identity",
        "--offline",
        "--bundle",
        str(bundle),
        "--cert-identity",
        identity,
        "--cert-oidc-issuer",
        issuer,
        str(artifact),
    )
    assert result.returncode != 0
    assert "FAIL" in result.stdout + result.stderr


def test_cli_sign_then_library_verify(
    sigstore_stack: SigstoreStack, verifier: Verifier, tmp_path: Path
) -> None:
    artifact, bundle = tmp_path / "cli-signed.txt", tmp_path / "cli-signed.sigstore.json"
    artifact.write_bytes(b"signed by the sigstore CLI\n")
    token = sigstore_stack.mint_token()
    result = _run_cli(
        sigstore_stack, "sign", "--identity-token", token, "--bundle", str(bundle), str(artifact)
    )
    assert result.returncode == 0, result.stderr
    verifier.verify_artifact(artifact.read_bytes(), Bundle.from_json(bundle.read_bytes()), IDENTITY)


# --- negative: identity and trust root ---------------------------------------------------------


@pytest.mark.parametrize(
    "wrong",
    [
        policy.Identity(identity="someone-else@example.test", issuer=DEFAULT_ISSUER),
        policy.Identity(identity=DEFAULT_EMAIL, issuer="https://evil.example.test"),
        policy.Identity(identity=WORKFLOW_IDENTITY, issuer=GITHUB_ACTIONS_ISSUER),
    ],
    ids=["identity", "issuer", "workflow"],
)
def test_wrong_identity_fails(signed: Signed, verifier: Verifier, wrong: policy.Identity) -> None:
    with pytest.raises(VerificationError):
        verifier.verify_artifact(ARTIFACT, signed.blob, wrong)
    with pytest.raises(VerificationError):
        verifier.verify_dsse(signed.statement, wrong)


def test_other_artifact_fails(signed: Signed, verifier: Verifier) -> None:
    with pytest.raises(VerificationError):
        verifier.verify_artifact(ARTIFACT + b"tampered", signed.blob, IDENTITY)


def test_foreign_trusted_root_fails(
    sigstore_stack: SigstoreStack, signed: Signed, tmp_path: Path
) -> None:
    foreign = sigstore_stack.write_foreign_trusted_root(tmp_path / "foreign_trusted_root.json")
    other = Verifier(trusted_root=TrustedRoot.from_file(str(foreign)))
    with pytest.raises(VerificationError):
        other.verify_artifact(ARTIFACT, signed.blob, IDENTITY)
    with pytest.raises(VerificationError):
        other.verify_dsse(signed.statement, IDENTITY)


# --- negative: tampered log material -----------------------------------------------------------


def _flip_b64(value: str, position: int = 8) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[position % len(raw)] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def _tamper_proof_hash(entry: dict[str, Any]) -> None:
    hashes_ = entry["inclusionProof"]["hashes"]
    hashes_[0] = _flip_b64(hashes_[0])


def _tamper_root_hash(entry: dict[str, Any]) -> None:
    entry["inclusionProof"]["rootHash"] = _flip_b64(entry["inclusionProof"]["rootHash"])


def _tamper_checkpoint_signature(entry: dict[str, Any]) -> None:
    note = entry["inclusionProof"]["checkpoint"]["envelope"]
    body, signature_line = note.rsplit("\n\n", 1)
    dash, name, blob = signature_line.rstrip("\n").split(" ")
    entry["inclusionProof"]["checkpoint"]["envelope"] = (
        f"{body}\n\n{dash} {name} {_flip_b64(blob, position=-1)}\n"
    )


def _tamper_set(entry: dict[str, Any]) -> None:
    promise = entry["inclusionPromise"]
    promise["signedEntryTimestamp"] = _flip_b64(promise["signedEntryTimestamp"], position=-1)


def _tamper_integrated_time(entry: dict[str, Any]) -> None:
    entry["integratedTime"] = str(
        int(entry["integratedTime"]) + 1
    )  # still inside the cert validity


@pytest.fixture(scope="module")
def later_bundle(sigstore_stack: SigstoreStack, signed: Signed) -> Bundle:
    """A bundle whose log entry has a non-empty inclusion proof (tree size > 1)."""
    (bundle,) = _sign(sigstore_stack, sigstore_stack.mint_token(), [ARTIFACT])
    assert bundle.log_entry._inner.inclusion_proof.hashes
    return bundle


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (_tamper_proof_hash, "inclusion proof"),
        (_tamper_root_hash, "inclusion proof"),
        (_tamper_checkpoint_signature, "checkpoint"),
        (_tamper_set, "SET"),
        (_tamper_integrated_time, "SET"),
    ],
    ids=["proof-hash", "root-hash", "checkpoint-signature", "set-signature", "integrated-time"],
)
def test_tampered_log_entry_fails(
    later_bundle: Bundle,
    verifier: Verifier,
    tamper: Callable[[dict[str, Any]], None],
    reason: str,
) -> None:
    verifier.verify_artifact(ARTIFACT, later_bundle, IDENTITY)  # untampered control
    document = json.loads(later_bundle.to_json())
    tamper(document["verificationMaterial"]["tlogEntries"][0])
    tampered = Bundle.from_json(json.dumps(document))
    with pytest.raises(VerificationError, match=reason):
        verifier.verify_artifact(ARTIFACT, tampered, IDENTITY)


# --- negative: the services refuse what the real ones refuse -----------------------------------


def _csr() -> x509.CertificateSigningRequest:
    key = ec.generate_private_key(ec.SECP256R1())
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .sign(key, hashes.SHA256())
    )


def test_fulcio_rejects_token_from_another_issuer_key(sigstore_stack: SigstoreStack) -> None:
    forged = TokenIssuer().mint(DEFAULT_EMAIL, DEFAULT_ISSUER)
    with pytest.raises(FulcioClientError):
        FulcioClient(sigstore_stack.fulcio_url).signing_cert.post(_csr(), IdentityToken(forged))


def _post(url: str, body: Any, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize(
    "claims",
    [{"aud": "not-sigstore"}, {"exp": 1}, {"nbf": 4_102_444_800}, {"email_verified": False}],
    ids=["audience", "expired", "not-yet-valid", "unverified-email"],
)
def test_fulcio_rejects_bad_claims(sigstore_stack: SigstoreStack, claims: dict[str, Any]) -> None:
    token = sigstore_stack.mint_token(extra_claims=claims)
    csr = base64.b64encode(_csr().public_bytes(serialization.Encoding.PEM)).decode()
    status = _post(
        f"{sigstore_stack.fulcio_url}/api/v2/signingCert",
        {"certificateSigningRequest": csr},
        {"Authorization": f"Bearer {token}"},
    )
    assert status == 401


def test_rekor_rejects_signature_that_does_not_verify(
    sigstore_stack: SigstoreStack, signed: Signed
) -> None:
    body = json.loads(signed.blob.log_entry._inner.canonicalized_body)
    body["spec"]["data"]["hash"]["value"] = "00" * 32
    assert _post(f"{sigstore_stack.rekor_url}/api/v1/log/entries", body) == 400


def test_rekor_rejects_duplicate_entry(sigstore_stack: SigstoreStack, signed: Signed) -> None:
    body = json.loads(signed.blob.log_entry._inner.canonicalized_body)
    assert _post(f"{sigstore_stack.rekor_url}/api/v1/log/entries", body) == 409
