"""The Sigstore bundle v0.3 mbom writes for key signatures (sigstore-python only makes keyless).

Layout::

    {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
     "verificationMaterial": {"publicKey": {"hint": HINT}, "tlogEntries": []},
     "dsseEnvelope": {"payload": B64, "payloadType": "application/vnd.in-toto+json",
                      "signatures": [{"sig": B64, "keyid": HINT_1}, {"sig": ..., "keyid": HINT_2}]}}

A bundle has one ``verificationMaterial``, so with several signatures (threshold signing) the
``publicKey.hint`` names the first key and each DSSE signature names its own key by ``keyid``.
Key signatures are not logged: ``tlogEntries`` is empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mbom.attest._internal.dsse import sign_envelope
from mbom.attest.keys import SigningKey

BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"


def key_bundle(
    payload: bytes, payload_type: str, keys: Sequence[SigningKey], *, hint: str | None = None
) -> dict[str, Any]:
    """A bundle whose DSSE envelope is signed by every key; ``hint`` defaults to the first's."""
    return {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {
            "publicKey": {"hint": hint if hint is not None else keys[0].hint},
            "tlogEntries": [],
        },
        "dsseEnvelope": sign_envelope(payload, payload_type, keys),
    }
