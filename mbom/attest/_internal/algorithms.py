"""Which signature algorithm each key type uses, in one table, signing and verifying alike.

DSSE signatures are made through securesystemslib (its ``CryptoSigner`` implements these
schemes). They are checked with ``cryptography`` directly, under the same scheme table:
importing securesystemslib's signer package loads every cloud signer it has (~20 ms), which a
pre-deploy ``mbom verify`` pays on every start; tests verify signatures both ways. Message
signatures (over an artifact's SHA-256 digest, as in Sigstore ``messageSignature`` bundles) are
checked over the pre-hashed digest, as sigstore-python does.
"""

from __future__ import annotations

from typing import Any

from mbom.attest.keys import SigningKey, key_type_of

#: mbom key type -> securesystemslib signing scheme.
SCHEMES = {
    "ecdsa-p256": "ecdsa-sha2-nistp256",
    "ecdsa-p384": "ecdsa-sha2-nistp384",
    "ed25519": "ed25519",
    "rsa": "rsassa-pss-sha256",
}


def sslib_key(public_key: Any, keyid: str) -> Any:
    """The securesystemslib view of ``public_key`` with mbom's scheme for its type."""
    from securesystemslib.signer import SSlibKey

    return SSlibKey.from_crypto(public_key, keyid=keyid, scheme=SCHEMES[key_type_of(public_key)])


def sign_bytes(key: SigningKey, data: bytes) -> bytes:
    """Sign ``data`` (a DSSE PAE) with ``key``'s scheme; returns the raw signature."""
    from securesystemslib.signer import CryptoSigner

    signer = CryptoSigner(key.private_key, sslib_key(key.public_key, key.hint))
    return bytes.fromhex(signer.sign(data).signature)


def verify_bytes(public_key: Any, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` over ``data`` verifies with ``public_key`` (scheme by key type)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    scheme = SCHEMES[key_type_of(public_key)]
    try:
        if scheme == "ed25519":
            public_key.verify(signature, data)
        elif scheme == "rsassa-pss-sha256":
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
            public_key.verify(signature, data, pss, hashes.SHA256())
        else:  # ecdsa-sha2-nistp256 / -nistp384: DER signatures, SHA-256 / SHA-384
            digest = hashes.SHA384() if scheme.endswith("384") else hashes.SHA256()
            public_key.verify(signature, data, ec.ECDSA(digest))
    except InvalidSignature:
        return False
    return True


def verify_digest(public_key: Any, signature: bytes, sha256_digest: bytes) -> bool:
    """Whether ``signature`` signs the pre-hashed SHA-256 ``sha256_digest`` (message signature)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

    prehashed = utils.Prehashed(hashes.SHA256())
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, sha256_digest, ec.ECDSA(prehashed))
        elif isinstance(public_key, rsa.RSAPublicKey):
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
            public_key.verify(signature, sha256_digest, pss, prehashed)
        else:  # Ed25519 signs messages, never digests
            return False
    except InvalidSignature:
        return False
    return True
