"""Verify a bundle signed under a private CA: model_signing's ``certificate`` mode.

model_signing 1.1.1 (``model_signing sign certificate``) writes ``x509CertificateChain`` (leaf
first, then the intermediates it was given) and no transparency-log entry. There is no trusted
signing time, so, as model_signing does, the chain is validated at the leaf's ``notBefore``;
the leaf must allow signing (KeyUsage digitalSignature, or ExtendedKeyUsage codeSigning).
Only the CA certificates the verifier gave (``--certificate-chain``) are trust anchors: the
bundle's own intermediates are untrusted helpers for path building.
"""

from __future__ import annotations

from typing import Any

from mbom.attest._internal.dsse import b64decode, read_envelope
from mbom.attest._internal.outcome import (
    Outcome,
    SignerIdentity,
    check_message_digest,
    check_payload_type,
    message_digest,
)
from mbom.errors import VerificationError

CHECK = "certificate"


def verify_private_ca(
    document: dict[str, Any], anchors: list[Any], artifact_digest: str | None
) -> Outcome:
    """Chain, key usage and the one signature; see the module docstring."""
    from mbom.attest._internal.algorithms import verify_digest
    from mbom.attest._internal.sigstore_glue import certificate_identity
    from mbom.attest.keys import key_hint

    outcome = Outcome()
    leaf, intermediates = _chain(document["verificationMaterial"])
    _validate_chain(leaf, intermediates, anchors)
    _check_key_usage(leaf)
    outcome.checks.append("certificate")
    public_key = leaf.public_key()
    if "dsseEnvelope" in document:
        envelope = read_envelope(document["dsseEnvelope"])
        check_payload_type(envelope.payload_type)
        outcome.checks.append("payload type")
        if not _verify_pae(public_key, envelope.signatures[0].sig, envelope.pae):
            raise VerificationError(
                "the DSSE signature does not verify with the certificate's key", check="signature"
            )
        outcome.payload_type, outcome.payload = envelope.payload_type, envelope.payload
    else:
        signed_digest, signature = message_digest(document)
        check_message_digest(signed_digest, artifact_digest)
        outcome.checks.append("message digest")
        if not verify_digest(public_key, signature, signed_digest):
            raise VerificationError(
                "the message signature does not verify with the certificate's key",
                check="signature",
            )
        outcome.message_digest = signed_digest.hex()
    outcome.checks.append("signature")
    found = certificate_identity(leaf)
    outcome.signers.append(
        SignerIdentity(
            kind="certificate",
            key_hint=key_hint(public_key),
            identity=found.identity or leaf.subject.rfc4514_string(),
            issuer=leaf.issuer.rfc4514_string(),
        )
    )
    outcome.skipped.append("tlog entry: private CA signatures are not logged")
    return outcome


def _chain(material: dict[str, Any]) -> tuple[Any, list[Any]]:
    from cryptography import x509

    chain = material.get("x509CertificateChain")
    raw = chain.get("certificates") if isinstance(chain, dict) else None
    if raw is None and isinstance(material.get("certificate"), dict):
        raw = [material["certificate"]]
    if not isinstance(raw, list) or not raw or not all(isinstance(c, dict) for c in raw):
        raise VerificationError("the bundle has no certificate chain", check=CHECK)
    try:
        certificates = [
            x509.load_der_x509_certificate(b64decode(c.get("rawBytes"), "certificate")) for c in raw
        ]
    except ValueError as exc:
        raise VerificationError(f"a certificate cannot be parsed: {exc}", check=CHECK) from None
    return certificates[0], certificates[1:]


def _validate_chain(leaf: Any, intermediates: list[Any], anchors: list[Any]) -> None:
    from cryptography.x509 import ExtendedKeyUsage
    from cryptography.x509.verification import (
        Criticality,
        ExtensionPolicy,
        PolicyBuilder,
        Store,
    )
    from cryptography.x509.verification import (
        VerificationError as ChainError,
    )

    ca_policy = ExtensionPolicy.webpki_defaults_ca().may_be_present(
        ExtendedKeyUsage, Criticality.AGNOSTIC, None
    )
    verifier = (
        PolicyBuilder()
        .store(Store(anchors))
        .time(leaf.not_valid_before_utc)
        .extension_policies(ca_policy=ca_policy, ee_policy=ExtensionPolicy.permit_all())
        .build_client_verifier()
    )
    try:
        verifier.verify(leaf, intermediates)
    except ChainError as exc:
        raise VerificationError(
            f"the signing certificate does not chain to the trusted CA: {exc}", check=CHECK
        ) from None


def _check_key_usage(leaf: Any) -> None:
    """model_signing's rule: digitalSignature key usage, or the codeSigning extended usage."""
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    try:
        if leaf.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature:
            return
    except x509.ExtensionNotFound:
        pass
    try:
        usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if ExtendedKeyUsageOID.CODE_SIGNING in usages:
            return
    except x509.ExtensionNotFound:
        pass
    raise VerificationError(
        "the signing certificate may not sign (no digitalSignature or codeSigning usage)",
        check=CHECK,
    )


def _verify_pae(public_key: Any, signature: bytes, pae: bytes) -> bool:
    """ECDSA with the curve's hash, as model_signing signs; other keys by mbom's scheme."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from mbom.attest._internal.algorithms import verify_bytes

    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        return verify_bytes(public_key, signature, pae)
    size = public_key.curve.key_size
    digest = {256: hashes.SHA256(), 384: hashes.SHA384(), 521: hashes.SHA512()}.get(size)
    if digest is None:
        return False
    try:
        public_key.verify(signature, pae, ec.ECDSA(digest))
    except InvalidSignature:
        return False
    return True
