"""model_signing's ``certificate`` mode (a private CA, ``x509CertificateChain``, no log entry),
signed by model_signing itself and verified by ``mbom verify --certificate-chain``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.verify.conftest import MODEL, failed_ids, run_mbom, verify_json, write_tree

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


@dataclass(frozen=True)
class Pki:
    root: Path  # the trust anchor's PEM
    leaf_key: Path
    leaf: Path
    intermediate: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, subject_key, issuer, issuer_key, *, ca: bool, usage: str = "sign"):
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(hours=1))
        .not_valid_after(NOW + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if ca:
        usages = dict(key_cert_sign=True, crl_sign=True, digital_signature=False)
    else:
        usages = dict(key_cert_sign=False, crl_sign=False, digital_signature=usage == "sign")
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name("release@example.com")]), critical=False
        )
        if usage == "sign":
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
            )
    builder = builder.add_extension(
        x509.KeyUsage(
            content_commitment=False,
            key_encipherment=usage == "encrypt",
            data_encipherment=False,
            key_agreement=False,
            encipher_only=False,
            decipher_only=False,
            **usages,
        ),
        critical=True,
    )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(path: Path, *certificates) -> Path:
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates))
    return path


def make_pki(directory: Path, *, usage: str = "sign") -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    root_key, mid_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _certificate("Test Root CA", root_key, "Test Root CA", root_key, ca=True)
    mid = _certificate("Test Signing CA", mid_key, "Test Root CA", root_key, ca=True)
    leaf = _certificate("release", leaf_key, "Test Signing CA", mid_key, ca=False, usage=usage)
    key_path = directory / "leaf.pem"
    key_path.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Pki(
        root=_pem(directory / "root.pem", root),
        leaf_key=key_path,
        leaf=_pem(directory / "leaf.crt", leaf),
        intermediate=_pem(directory / "intermediate.pem", mid),
    )


def _model_signing_sign(model: Path, signature: Path, pki: Pki) -> None:
    from model_signing import signing

    signing.Config().use_certificate_signer(
        private_key=pki.leaf_key,
        signing_certificate=pki.leaf,
        certificate_chain=[pki.intermediate],
    ).sign(model, signature)


@pytest.fixture(scope="module")
def signed_by_ca(tmp_path_factory) -> tuple[Path, Path, Pki]:
    base = tmp_path_factory.mktemp("private-ca")
    model = write_tree(base / "model", {k: v for k, v in MODEL.items() if k != "legacy.pkl"})
    pki = make_pki(base / "pki")
    signature = base / "model.sig"
    _model_signing_sign(model, signature, pki)
    return model, signature, pki


def _verify(model: Path, signature: Path, chain: Path) -> tuple[int, dict]:
    return verify_json(model, "--bundle", signature, "--certificate-chain", chain)


def test_model_signing_certificate_bundle_shape(signed_by_ca) -> None:
    _, signature, _ = signed_by_ca
    material = json.loads(signature.read_text())["verificationMaterial"]
    assert len(material["x509CertificateChain"]["certificates"]) == 2
    assert not material.get("tlogEntries")


def test_verifies_against_the_private_ca(signed_by_ca) -> None:
    model, signature, pki = signed_by_ca
    from model_signing import verifying

    verifying.Config().use_certificate_verifier(certificate_chain=[pki.root]).verify(
        model, signature
    )  # model_signing agrees
    code, report = _verify(model, signature, pki.root)
    assert code == 0, failed_ids(report)
    (signer,) = report["signers"]
    assert signer["kind"] == "certificate" and signer["identity"] == "release@example.com"
    assert signer["issuer"] == "CN=Test Signing CA" and len(signer["keyHint"]) == 64


def test_a_wrong_ca_fails(signed_by_ca, tmp_path) -> None:
    model, signature, _ = signed_by_ca
    other = make_pki(tmp_path / "other")
    code, report = _verify(model, signature, other.root)
    assert code == 1 and failed_ids(report) == ["certificate"]


def test_certificates_in_the_bundle_are_no_anchors(signed_by_ca, tmp_path) -> None:
    """An attacker's PKI that ships the trusted root inside the bundle still does not chain."""
    model, _, pki = signed_by_ca
    attacker = make_pki(tmp_path / "attacker")
    signature = tmp_path / "attacker.sig"
    from model_signing import signing

    signing.Config().use_certificate_signer(
        private_key=attacker.leaf_key,
        signing_certificate=attacker.leaf,
        certificate_chain=[attacker.intermediate, attacker.root, pki.root],
    ).sign(model, signature)
    code, report = _verify(model, signature, pki.root)
    assert code == 1 and failed_ids(report) == ["certificate"]
    code, _ = _verify(model, signature, attacker.root)
    assert code == 0  # the same bundle under its own CA: the rejection above is the anchor's


def test_a_tampered_model_fails(signed_by_ca, tmp_path) -> None:
    model, signature, pki = signed_by_ca
    copy = tmp_path / "model"
    shutil.copytree(model, copy)
    (copy / "config.json").write_bytes(b'{"hidden_size": 9}\n')
    code, report = _verify(copy, signature, pki.root)
    assert code == 1 and report["verified"] is False
    assert any(c.get("path") == "config.json" for c in report["checks"] if c["status"] == "fail")


def test_a_leaf_without_signing_usage_fails(tmp_path) -> None:
    model = write_tree(tmp_path / "model", {"weights.bin": b"weights"})
    pki = make_pki(tmp_path / "pki", usage="encrypt")
    signature = tmp_path / "model.sig"
    _model_signing_sign(model, signature, pki)
    code, report = _verify(model, signature, pki.root)
    assert code == 1 and failed_ids(report) == ["certificate"]
    assert "may not sign" in report["checks"][1]["message"]


def test_chain_bundle_with_only_a_key_is_a_trust_material_failure(signed_by_ca, signed) -> None:
    model, signature, _ = signed_by_ca
    result = run_mbom(
        "verify", model, "--bundle", signature, "--key", signed.pub, "--format", "json"
    )
    assert result.returncode == 1
    assert failed_ids(json.loads(result.stdout)) == ["trust-material"]
