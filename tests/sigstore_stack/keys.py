"""Key helpers shared by the CA, the CT log, the transparency log and the token issuer."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

PublicKeyDetails = str

_DETAILS_BY_CURVE: dict[str, PublicKeyDetails] = {
    "secp256r1": "PKIX_ECDSA_P256_SHA_256",
    "secp384r1": "PKIX_ECDSA_P384_SHA_384",
    "secp521r1": "PKIX_ECDSA_P521_SHA_512",
}


def new_p256_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 key: what Sigstore's CT log, Rekor and OIDC providers use."""
    return ec.generate_private_key(ec.SECP256R1())


def new_p384_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-384 key: what Fulcio's root and intermediate use."""
    return ec.generate_private_key(ec.SECP384R1())


def public_der(key: ec.EllipticCurvePublicKey) -> bytes:
    """DER SubjectPublicKeyInfo, the form trust roots and key IDs are built from."""
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_pem(key: ec.EllipticCurvePublicKey) -> str:
    """PEM SubjectPublicKeyInfo, handy for tools that want a key file."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_id(key: ec.EllipticCurvePublicKey) -> bytes:
    """RFC 6962 key ID (SHA-256 of the DER SPKI): CT log IDs and Rekor log IDs alike."""
    return hashlib.sha256(public_der(key)).digest()


def key_details(key: ec.EllipticCurvePublicKey) -> PublicKeyDetails:
    """The protobuf-specs `PublicKeyDetails` name for an EC key."""
    return _DETAILS_BY_CURVE[key.curve.name]
