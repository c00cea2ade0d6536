"""Keyless signing against the local Sigstore stack (offline), and its verification."""

from __future__ import annotations

import base64
import json
import re
import subprocess

import pytest
from cryptography import x509

from mbom.attest import Keyless, sign_bom, verify_bundle
from mbom.errors import TrustMaterialError, VerificationError
from tests.attest.conftest import (
    MODEL_FILES,
    independent_verify,
    make_bom,
    pae,
    run_mbom,
    tool,
    write_model,
)
from tests.sigstore_stack import DEFAULT_EMAIL, DEFAULT_ISSUER
from tests.sigstore_stack.netguard import loopback_only

PAYLOAD_TYPE = "application/vnd.in-toto+json"


@pytest.fixture(scope="module", autouse=True)
def _offline():
    with loopback_only():
        yield


@pytest.fixture(scope="module")
def signed(sigstore_stack, tmp_path_factory):
    """Two keyless bundles over one BOM (the second gives a non-empty inclusion proof)."""
    bom = make_bom(write_model(tmp_path_factory.mktemp("keyless") / "model"))
    bundles = [
        sign_bom(
            bom,
            keyless=Keyless(
                identity_token=sigstore_stack.mint_token(),
                trust_config=sigstore_stack.trust_config_path,
            ),
        )
        for _ in range(2)
    ]
    return bom, bundles


def _verify(stack, bundle, identity=DEFAULT_EMAIL, issuer=DEFAULT_ISSUER, **kwargs):
    return verify_bundle(
        bundle, identity=identity, issuer=issuer, trusted_root=stack.trusted_root_path, **kwargs
    )


def test_round_trip(sigstore_stack, signed):
    _, (bundle, _) = signed
    material = bundle["verificationMaterial"]
    assert "certificate" in material and len(material["tlogEntries"]) == 1
    result = _verify(sigstore_stack, bundle)
    assert result.statement.is_bom
    assert [(s.kind, s.identity, s.issuer) for s in result.signers] == [
        ("certificate", DEFAULT_EMAIL, DEFAULT_ISSUER)
    ]
    assert result.integrated_time is not None
    assert {"certificate", "identity", "tlog entry", "signature"} <= set(result.checks)
    # independent: the DSSE signature verifies with the certificate's key over the spec's PAE
    cert = x509.load_der_x509_certificate(base64.b64decode(material["certificate"]["rawBytes"]))
    envelope = bundle["dsseEnvelope"]
    independent_verify(
        cert.public_key(),
        base64.b64decode(envelope["signatures"][0]["sig"]),
        pae(envelope["payloadType"], base64.b64decode(envelope["payload"])),
    )


def test_payload_is_the_canonical_statement(signed):
    from mbom.attest.statement import bom_statement

    bom, (bundle, _) = signed
    payload = base64.b64decode(bundle["dsseEnvelope"]["payload"])
    assert payload == bom_statement(bom).to_json()


def test_identity_regex(sigstore_stack, signed):
    _, (bundle, _) = signed
    _verify(sigstore_stack, bundle, identity=re.compile(r".*@example\.test"))
    with pytest.raises(VerificationError) as caught:
        _verify(sigstore_stack, bundle, identity=re.compile(r"signer"))  # full match only
    assert caught.value.check == "identity"


@pytest.mark.parametrize(
    ("identity", "issuer"),
    [("someone-else@example.test", DEFAULT_ISSUER), (DEFAULT_EMAIL, "https://evil.example.test")],
    ids=["identity", "issuer"],
)
def test_wrong_identity(sigstore_stack, signed, identity, issuer):
    with pytest.raises(VerificationError, match="certificate") as caught:
        _verify(sigstore_stack, signed[1][0], identity=identity, issuer=issuer)
    assert caught.value.check == "identity"


def test_foreign_trusted_root(sigstore_stack, signed, tmp_path):
    foreign = sigstore_stack.write_foreign_trusted_root(tmp_path / "foreign.json")
    with pytest.raises(VerificationError) as caught:
        verify_bundle(
            signed[1][0], identity=DEFAULT_EMAIL, issuer=DEFAULT_ISSUER, trusted_root=foreign
        )
    assert caught.value.check == "certificate"


def test_missing_trust_material(signed, tmp_path):
    with pytest.raises(TrustMaterialError):
        verify_bundle(signed[1][0], identity=DEFAULT_EMAIL, issuer=DEFAULT_ISSUER)
    with pytest.raises(TrustMaterialError):
        verify_bundle(
            signed[1][0],
            identity=DEFAULT_EMAIL,
            issuer=DEFAULT_ISSUER,
            trusted_root=tmp_path / "absent.json",
        )


def _flip(value: str, position: int) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[position % len(raw)] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def _payload(bundle):
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    statement["subject"][0]["name"] = "evil.bin"
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()


def _payload_type(bundle):
    bundle["dsseEnvelope"]["payloadType"] = "text/plain"


def _signature(bundle):
    bundle["dsseEnvelope"]["signatures"][0]["sig"] = _flip(
        bundle["dsseEnvelope"]["signatures"][0]["sig"], 12
    )


def _certificate(bundle):  # a byte of the CA's signature at the end: still parses
    cert = bundle["verificationMaterial"]["certificate"]
    cert["rawBytes"] = _flip(cert["rawBytes"], -5)


def _proof(bundle):
    proof = bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]
    proof["hashes"][0] = _flip(proof["hashes"][0], 3)


def _set(bundle):
    promise = bundle["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]
    promise["signedEntryTimestamp"] = _flip(promise["signedEntryTimestamp"], -3)


@pytest.mark.parametrize(
    ("tamper", "check"),
    [
        (_payload, "signature"),
        (_payload_type, "payload type"),
        (_signature, "signature"),
        (_certificate, "certificate"),
        (_proof, "tlog entry"),
        (_set, "tlog entry"),
    ],
    ids=["payload", "payload-type", "signature", "certificate", "inclusion-proof", "set"],
)
def test_tampering_is_named(sigstore_stack, signed, tamper, check):
    bundle = json.loads(json.dumps(signed[1][1]))
    _verify(sigstore_stack, bundle)  # untampered control
    tamper(bundle)
    with pytest.raises(VerificationError) as caught:
        _verify(sigstore_stack, bundle)
    assert caught.value.check == check, str(caught.value)


def test_cli_keyless_bundle_passes_sigstore_verify(sigstore_stack, model_and_bom):
    model, bom_path = model_and_bom
    token = sigstore_stack.mint_token()
    trust_config = str(sigstore_stack.trust_config_path)
    result = run_mbom(
        "sign",
        str(bom_path),
        "--sigstore",
        "--identity-token",
        token,
        "--trust-config",
        trust_config,
    )
    assert result.returncode == 0, result.stderr
    bundle = bom_path.with_name("bom.cdx.json.sigstore.json")
    assert bundle.is_file() and "keyless" in result.stdout
    # sigstore 4.5.1 verifies a DSSE bundle against a file whose digest is a statement subject
    subject = model / sorted(MODEL_FILES)[0]
    verify = _sigstore_verify(trust_config, bundle, subject)
    assert verify.returncode == 0, verify.stderr
    assert f"OK: {subject}" in verify.stderr
    other = model.parent / "other.bin"  # not a subject: refused
    other.write_bytes(b"not in the BOM")
    assert _sigstore_verify(trust_config, bundle, other).returncode != 0


def _sigstore_verify(trust_config, bundle, artifact):
    command = [
        tool("sigstore"), "--trust-config", trust_config, "verify", "identity",
        "--bundle", str(bundle), "--cert-identity", DEFAULT_EMAIL,
        "--cert-oidc-issuer", DEFAULT_ISSUER, str(artifact),
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_cli_keyless_without_token_is_an_input_error(sigstore_stack, model_and_bom):
    _, bom_path = model_and_bom
    result = run_mbom(
        "sign",
        str(bom_path),
        "--sigstore",
        "--trust-config",
        str(sigstore_stack.trust_config_path),
        env={"GITHUB_ACTIONS": "", "ACTIONS_ID_TOKEN_REQUEST_URL": "", "SIGSTORE_ID_TOKEN": ""},
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "identity token" in result.stderr
