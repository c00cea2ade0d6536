"""Attacks on the trust layer, through ``mbom verify --format json`` on real bundles.

* trust material of the wrong kind (a certificate added to a key bundle, a key bundle when
  only identities are trusted) is a "no" (exit 1, ``trust-material``), never exit 3;
* protocol confusion: a DSSE signature re-wrapped as a message signature, and a message
  signature presented as a DSSE envelope, are refused (``artifact-signature``, ``signature``);
* a DSSE envelope with two signatures is off-spec and refused (``dsse-signatures``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mbom.attest.keys import load_signing_key
from tests.verify.conftest import Signed, failed_ids, failures, run_mbom, verify_json

IN_TOTO = "application/vnd.in-toto+json"


def _self_signed_der() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


def _write(path: Path, document: dict) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.mark.parametrize("keep_hint", [True, False], ids=["added", "replaced"])
def test_a_certificate_added_to_a_key_bundle_is_a_failure_not_exit_3(
    signed: Signed, tmp_path: Path, keep_hint: bool
) -> None:
    document = json.loads(signed.bundle.read_text())
    material = document["verificationMaterial"]
    if not keep_hint:
        del material["publicKey"]
    material["certificate"] = {"rawBytes": _self_signed_der()}
    bundle = _write(tmp_path / "with-cert.sigstore.json", document)
    code, report = verify_json(signed.model, "--bundle", bundle, "--key", signed.pub)
    assert code == 1 and report["exitCode"] == 1 and not report["verified"]
    (check,) = failures(report)
    assert check["id"] == "trust-material" and check.get("evaluated", True)
    assert check["actual"] == "a certificate" and check["expected"] == "public keys"


def test_a_key_bundle_when_only_identities_are_trusted_is_a_failure(signed: Signed) -> None:
    code, report = verify_json(
        signed.model,
        "--bundle",
        signed.bundle,
        "--identity",
        "ci@example.com",
        "--issuer",
        "https://issuer.example",
    )
    assert code == 1 and failed_ids(report) == ["trust-material"]
    assert "bare public key" in report["checks"][1]["message"]


def test_no_trust_material_at_all_still_cannot_be_evaluated(signed: Signed) -> None:
    code, report = verify_json(signed.model, "--bundle", signed.bundle)
    assert code == 3 and failed_ids(report) == ["trust"]


def _message_bundle(hint: str, digest: bytes, signature: bytes) -> dict:
    return {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": hint}, "tlogEntries": []},
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": base64.b64encode(digest).decode()},
            "signature": base64.b64encode(signature).decode(),
        },
    }


def _pae(payload_type: str, payload: bytes) -> bytes:
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def test_dsse_signature_rewrapped_as_a_message_signature(signed: Signed, tmp_path: Path) -> None:
    """The signer's ECDSA signature over the PAE is also one over sha256(PAE): a file holding
    the PAE bytes would "verify" as signed. Refused without and with --artifact-signature."""
    from mbom.attest import verify_bundle

    document = json.loads(signed.bundle.read_text())
    envelope = document["dsseEnvelope"]
    pae = _pae(envelope["payloadType"], base64.b64decode(envelope["payload"]))
    signature = base64.b64decode(envelope["signatures"][0]["sig"])
    artifact = tmp_path / "release.bin"
    artifact.write_bytes(pae)
    hint = document["verificationMaterial"]["publicKey"]["hint"]
    rewrapped = _message_bundle(hint, hashlib.sha256(pae).digest(), signature)
    bundle = _write(tmp_path / "rewrapped.sigstore.json", rewrapped)
    # the cryptography alone accepts it: this is why the protocols need separating
    digest = hashlib.sha256(pae).hexdigest()
    assert verify_bundle(rewrapped, keys=[signed.pub], artifact_digest=digest).signers

    code, report = verify_json(artifact, "--bundle", bundle, "--key", signed.pub)
    assert code == 1 and failed_ids(report) == ["artifact-signature"]
    code, report = verify_json(
        artifact, "--bundle", bundle, "--key", signed.pub, "--artifact-signature"
    )
    assert code == 1 and failed_ids(report) == ["artifact-signature"]
    failing = failures(report)[0]
    assert "pre-authentication encoding" in failing["message"] and failing["path"] == str(artifact)


def test_message_signature_presented_as_a_dsse_envelope(signed: Signed, tmp_path: Path) -> None:
    """The signer signed an attacker's blob as a file; wrapped as DSSE it is no attestation."""
    key = load_signing_key(signed.key)
    statement = json.loads(
        base64.b64decode(json.loads(signed.bundle.read_text())["dsseEnvelope"]["payload"])
    )
    blob = json.dumps(statement).encode()  # the attacker's statement, signed as a plain file
    signature = key.private_key.sign(blob, ec.ECDSA(hashes.SHA256()))
    forged = {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": key.hint}, "tlogEntries": []},
        "dsseEnvelope": {
            "payload": base64.b64encode(blob).decode(),
            "payloadType": IN_TOTO,
            "signatures": [{"sig": base64.b64encode(signature).decode(), "keyid": key.hint}],
        },
    }
    bundle = _write(tmp_path / "forged.sigstore.json", forged)
    code, report = verify_json(signed.model, "--bundle", bundle, "--key", signed.pub)
    assert code == 1 and failed_ids(report) == ["signature"]


def _sign_file(signed: Signed, artifact: Path) -> dict:
    key = load_signing_key(signed.key)
    data = artifact.read_bytes()
    signature = key.private_key.sign(data, ec.ECDSA(hashes.SHA256()))
    return _message_bundle(key.hint, hashlib.sha256(data).digest(), signature)


def test_a_real_message_signature_needs_the_opt_in(signed: Signed, tmp_path: Path) -> None:
    artifact = tmp_path / "model.gguf"
    artifact.write_bytes(b"GGUF" + bytes(64))
    bundle = _write(tmp_path / "m.sigstore.json", _sign_file(signed, artifact))
    code, report = verify_json(artifact, "--bundle", bundle, "--key", signed.pub)
    assert code == 1 and failed_ids(report) == ["artifact-signature"]
    code, report = verify_json(
        artifact, "--bundle", bundle, "--key", signed.pub, "--artifact-signature"
    )
    assert code == 0, failed_ids(report)
    assert {"artifact-signature", "message-digest", "signature"} <= {
        c["id"] for c in report["checks"] if c["status"] == "pass"
    }
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"trust:\n  publicKeys: [{signed.pub}]\n  artifactSignature: true\n")
    code, report = verify_json(artifact, "--bundle", bundle, "--policy", policy)
    assert code == 0, failed_ids(report)
    artifact.write_bytes(b"GGUF" + bytes(63) + b"\x01")
    code, report = verify_json(
        artifact, "--bundle", bundle, "--key", signed.pub, "--artifact-signature"
    )
    assert code == 1 and failed_ids(report) == ["message-digest"]


def test_a_message_signature_never_covers_a_directory(signed: Signed, tmp_path: Path) -> None:
    artifact = tmp_path / "blob.bin"
    artifact.write_bytes(b"blob")
    bundle = _write(tmp_path / "m.sigstore.json", _sign_file(signed, artifact))
    code, report = verify_json(
        signed.model, "--bundle", bundle, "--key", signed.pub, "--artifact-signature"
    )
    assert code == 1 and failed_ids(report) == ["message-digest"]


def test_two_signatures_in_one_envelope_are_refused(signed: Signed, tmp_path: Path) -> None:
    from mbom.attest import sign_bom

    document = json.loads(signed.bundle.read_text())
    statement = json.loads(base64.b64decode(document["dsseEnvelope"]["payload"]))
    other = sign_bom(statement["predicate"], keys=[load_signing_key(signed.other_pem)])
    document["dsseEnvelope"]["signatures"] += other["dsseEnvelope"]["signatures"]
    bundle = _write(tmp_path / "two.sigstore.json", document)
    code, report = verify_json(signed.model, "--bundle", bundle, "--key", signed.pub)
    assert code == 1 and failed_ids(report) == ["dsse-signatures"]


def test_min_signers_counts_signers_across_bundles(signed: Signed, tmp_path: Path) -> None:
    """`mbom sign --key A --key B -o DIR/` writes one bundle each; minSigners: 2 counts both
    (by key hint), and the same bundle given twice is one signer."""
    out = tmp_path / "bundles"
    out.mkdir()
    result = run_mbom(
        "sign", signed.bom, "--key", signed.key, "--key", signed.other_pem, "-o", f"{out}/"
    )
    assert result.returncode == 0, result.stderr
    first, second = sorted(out.iterdir())
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        f"trust:\n  publicKeys: [{signed.pub}, {signed.other_pub}]\nrules:\n  minSigners: 2\n"
    )
    common = ("--policy", policy, "--parent", signed.parent_bundle)
    code, report = verify_json(signed.model, "--bundle", first, "--bundle", second, *common)
    assert code == 0, failed_ids(report)
    hints = {s["keyHint"] for s in report["signers"]}
    assert len(hints) == 2 and all(s["kind"] == "key" for s in report["signers"])
    code, report = verify_json(signed.model, "--bundle", first, "--bundle", first, *common)
    assert code == 1 and "policy:minSigners" in failed_ids(report)


def test_a_validly_signed_envelope_of_another_payload_type_is_refused(
    signed: Signed, tmp_path: Path
) -> None:
    """The trusted key signed a DSSE envelope for another purpose (payloadType not in-toto):
    the signature is genuine, but it is no MBOM attestation."""
    from mbom.attest._internal.keybundle import key_bundle

    document = json.loads(signed.bundle.read_text())
    payload = base64.b64decode(document["dsseEnvelope"]["payload"])
    other = key_bundle(payload, "application/vnd.cyclonedx+json", load_signing_key(signed.key))
    bundle = _write(tmp_path / "other-type.sigstore.json", other)
    code, report = verify_json(signed.model, "--bundle", bundle, "--key", signed.pub)
    assert code == 1 and failed_ids(report) == ["payload-type"]


@pytest.mark.parametrize("output_format", ["text", "sarif", "junit"])
def test_trust_material_failure_is_a_full_report_in_every_format(
    signed: Signed, tmp_path: Path, output_format: str
) -> None:
    document = json.loads(signed.bundle.read_text())
    document["verificationMaterial"]["certificate"] = {"rawBytes": _self_signed_der()}
    bundle = _write(tmp_path / "with-cert.sigstore.json", document)
    result = run_mbom(
        "verify", signed.model, "--bundle", bundle, "--key", signed.pub, "--format", output_format
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "trust-material" in result.stdout and "files" in result.stdout
