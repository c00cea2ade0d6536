"""The Sigstore bundle v0.3 mbom writes for key signatures (sigstore-python only makes keyless).

Layout::

    {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
     "verificationMaterial": {"publicKey": {"hint": HINT}, "tlogEntries": []},
     "dsseEnvelope": {"payload": B64, "payloadType": "application/vnd.in-toto+json",
                      "signatures": [{"sig": B64, "keyid": HINT}]}}

A bundle has one ``verificationMaterial`` and, by the bundle spec, one signature: several
signers write one bundle each. Key signatures are not logged: ``tlogEntries`` is empty.
"""

from __future__ import annotations

from typing import Any

from mbom.attest._internal.dsse import sign_envelope
from mbom.attest.keys import SigningKey

BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"


def key_bundle(
    payload: bytes, payload_type: str, key: SigningKey, *, hint: str | None = None
) -> dict[str, Any]:
    """A bundle whose DSSE envelope is signed by ``key``; ``hint`` defaults to its hint."""
    return {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {
            "publicKey": {"hint": hint if hint is not None else key.hint},
            "tlogEntries": [],
        },
        "dsseEnvelope": sign_envelope(payload, payload_type, key),
    }
