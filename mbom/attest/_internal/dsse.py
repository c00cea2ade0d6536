"""DSSE envelopes (v1.0) as they appear in a Sigstore bundle's ``dsseEnvelope``.

Signatures are over the pre-authentication encoding (PAE) of payload type and payload; the
PAE is written out (one line of the DSSE spec) and checked against securesystemslib's in a
test. mbom writes one signature an envelope (a Sigstore bundle holds one), naming its key
by ``keyid`` (the key hint); envelopes from elsewhere are read with all their signatures
and rejected by :func:`mbom.attest.verify_bundle` when there is more than one.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mbom.attest._internal.algorithms import sign_bytes
from mbom.attest.keys import SigningKey
from mbom.errors import MalformedFileError

#: How every DSSE v1 pre-authentication encoding starts (the PAE signatures are made over).
PAE_PREFIX = b"DSSEv1 "


@dataclass(frozen=True, slots=True)
class DsseSignature:
    keyid: str
    sig: bytes


@dataclass(frozen=True, slots=True)
class Envelope:
    payload: bytes
    payload_type: str
    signatures: tuple[DsseSignature, ...]

    @property
    def pae(self) -> bytes:
        return pae(self.payload_type, self.payload)


def pae(payload_type: str, payload: bytes) -> bytes:
    """``DSSEv1 <len(type)> <type> <len(payload)> <payload>`` (DSSE v1.0 protocol).

    Written out rather than taken from securesystemslib so verification does not import it
    (see mbom.attest._internal.algorithms); a test checks it equals securesystemslib's.
    """
    encoded_type = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(encoded_type), encoded_type, len(payload), payload)


def sign_envelope(payload: bytes, payload_type: str, key: SigningKey) -> dict[str, Any]:
    """The JSON form of an envelope signed by ``key`` (keyid = key hint)."""
    signature = sign_bytes(key, pae(payload_type, payload))
    return {
        "payload": _b64(payload),
        "payloadType": payload_type,
        "signatures": [{"sig": _b64(signature), "keyid": key.hint}],
    }


def read_envelope(document: Any) -> Envelope:
    """Parse a ``dsseEnvelope`` object, or raise :class:`MalformedFileError`."""
    if not isinstance(document, Mapping):
        raise MalformedFileError("bundle dsseEnvelope is not an object")
    payload_type = document.get("payloadType")
    if not isinstance(payload_type, str):
        raise MalformedFileError("bundle dsseEnvelope has no payloadType")
    raw_signatures = document.get("signatures")
    if not isinstance(raw_signatures, list) or not raw_signatures:
        raise MalformedFileError("bundle dsseEnvelope has no signatures")
    signatures = []
    for item in raw_signatures:
        if not isinstance(item, Mapping):
            raise MalformedFileError("bundle dsseEnvelope signature is not an object")
        signatures.append(
            DsseSignature(keyid=str(item.get("keyid") or ""), sig=b64decode(item.get("sig"), "sig"))
        )
    return Envelope(
        payload=b64decode(document.get("payload"), "payload"),
        payload_type=payload_type,
        signatures=tuple(signatures),
    )


def b64decode(value: Any, what: str) -> bytes:
    """Strict standard base64 (as protobuf JSON writes bytes), else :class:`MalformedFileError`."""
    if not isinstance(value, str):
        raise MalformedFileError(f"bundle field {what} is missing or not a string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedFileError(f"bundle field {what} is not valid base64") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
