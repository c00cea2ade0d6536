"""Minimal DER encoders for the few raw ASN.1 values the stack must hand-build.

cryptography cannot build Fulcio's custom extensions or an SCT list from Python values, so
they are written as `UnrecognizedExtension` payloads encoded here.
"""

from __future__ import annotations

_TAG_OCTET_STRING = 0x04
_TAG_UTF8_STRING = 0x0C


def der_length(length: int) -> bytes:
    """Encode a DER definite length (short form below 128, long form above)."""
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def der_tlv(tag: int, content: bytes) -> bytes:
    """Encode one tag-length-value triple."""
    return bytes([tag]) + der_length(len(content)) + content


def utf8_string(text: str) -> bytes:
    """DER UTF8String, the encoding Fulcio uses for its v2 (1.3.6.1.4.1.57264.1.8+) OIDs."""
    return der_tlv(_TAG_UTF8_STRING, text.encode("utf-8"))


def octet_string(data: bytes) -> bytes:
    """DER OCTET STRING, the wrapper RFC 6962 puts around an embedded SCT list."""
    return der_tlv(_TAG_OCTET_STRING, data)
