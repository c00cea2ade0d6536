"""Signed Certificate Timestamps from a test CT log, embedded the RFC 6962 precertificate way.

sigstore-python (sigstore/_internal/sct.py) rebuilds the precert `digitally-signed` struct from
the final certificate's TBS with the SCT list removed and the issuer's key hash, so the log here
signs exactly that: the TBS of the certificate *before* the SCT extension is appended.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID

from tests.sigstore_stack.der import octet_string
from tests.sigstore_stack.keys import key_id

_SCT_VERSION_V1 = 0
_SIGNATURE_TYPE_CERTIFICATE_TIMESTAMP = 0
_ENTRY_TYPE_PRECERT = 1
_HASH_SHA256 = 4
_SIGNATURE_ECDSA = 3


def _u24(data: bytes) -> bytes:
    return struct.pack("!I", len(data))[1:] + data


def _u16(data: bytes) -> bytes:
    return struct.pack("!H", len(data)) + data


@dataclass(frozen=True)
class CTLog:
    """A CT log reduced to its signing key: it only ever hands out SCTs."""

    key: ec.EllipticCurvePrivateKey

    @property
    def log_id(self) -> bytes:
        """The 32-byte log ID carried in every SCT."""
        return key_id(self.key.public_key())

    def sign_precert(self, *, issuer_key_hash: bytes, tbs: bytes, timestamp_ms: int) -> bytes:
        """Return one serialised SCT (RFC 6962 3.2) over a precertificate TBS."""
        extensions = b""
        signed = struct.pack(
            "!BBQH",
            _SCT_VERSION_V1,
            _SIGNATURE_TYPE_CERTIFICATE_TIMESTAMP,
            timestamp_ms,
            _ENTRY_TYPE_PRECERT,
        )
        signed += issuer_key_hash + _u24(tbs) + _u16(extensions)
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return (
            struct.pack("!B", _SCT_VERSION_V1)
            + self.log_id
            + struct.pack("!Q", timestamp_ms)
            + _u16(extensions)
            + struct.pack("!BB", _HASH_SHA256, _SIGNATURE_ECDSA)
            + _u16(signature)
        )


def sct_list_extension(scts: list[bytes]) -> x509.UnrecognizedExtension:
    """The X.509 embedded-SCT extension value: OCTET STRING of a TLS SCT list."""
    sct_list = _u16(b"".join(_u16(sct) for sct in scts))
    return x509.UnrecognizedExtension(
        ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS, octet_string(sct_list)
    )
