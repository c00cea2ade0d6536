"""Key hints: which spellings of "this public key" a bundle's ``publicKey.hint`` may use.

The bundle format leaves the hint's encoding open, and real producers differ:

* mbom writes lowercase hex SHA-256 of the DER SubjectPublicKeyInfo;
* model_signing (OMS) writes lowercase hex SHA-256 of the PEM SubjectPublicKeyInfo;
* cosign / the Sigstore conformance suite write base64 SHA-256 of the DER SPKI.

A hint is only a pointer: the signature check is what proves the key. But a hint that names a
*different* key is a mismatch and fails, so a swapped hint cannot go unnoticed.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from mbom.attest.keys import key_hint, public_key_pem, spki_der


def oms_hint(public_key: Any) -> str:
    """The hint model_signing writes and checks: hex SHA-256 of the PEM SPKI."""
    return hashlib.sha256(public_key_pem(public_key)).hexdigest()


def accepted_hints(public_key: Any) -> frozenset[str]:
    """Every spelling of ``public_key``'s hint that is recognised as naming it."""
    der_digest = hashlib.sha256(spki_der(public_key)).digest()
    return frozenset(
        {key_hint(public_key), oms_hint(public_key), base64.b64encode(der_digest).decode()}
    )


def hint_names(hint: str, public_key: Any) -> bool:
    """Whether ``hint`` (as found in a bundle or a DSSE keyid) names ``public_key``."""
    return hint in accepted_hints(public_key)
