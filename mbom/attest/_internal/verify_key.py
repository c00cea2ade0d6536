"""Verify a key-signed bundle: hint, its one signature, and any transparency-log entries.

sigstore-python cannot (it needs a certificate), so this is hand-written on top of
:mod:`mbom.attest._internal.algorithms` and, for logged managed-key bundles,
:mod:`mbom.attest._internal.tlog`.
"""

from __future__ import annotations

from typing import Any

from mbom.attest._internal.algorithms import verify_bytes, verify_digest
from mbom.attest._internal.dsse import Envelope, read_envelope
from mbom.attest._internal.hints import hint_names
from mbom.attest._internal.outcome import (
    Outcome,
    SignerIdentity,
    check_message_digest,
    check_payload_type,
    message_digest,
)
from mbom.attest._internal.tlog import verify_log_entry
from mbom.attest.keys import key_hint
from mbom.errors import VerificationError


def verify_with_keys(
    document: dict[str, Any],
    keys: list[Any],
    trusted_root: Any,
    artifact_digest: str | None,
) -> Outcome:
    outcome = Outcome()
    if "dsseEnvelope" in document:
        envelope = read_envelope(document["dsseEnvelope"])
        check_payload_type(envelope.payload_type)
        outcome.checks.append("payload type")
        signed_by = _verify_envelope(envelope, keys)
        outcome.payload_type, outcome.payload = envelope.payload_type, envelope.payload
        keyids = {sig.keyid for sig in envelope.signatures if sig.keyid}
        first_signature = envelope.signatures[0].sig
        digest = None
    else:
        signed_digest, first_signature = message_digest(document)
        check_message_digest(signed_digest, artifact_digest)
        outcome.checks.append("message digest")
        signed_by = [k for k in keys if verify_digest(k, first_signature, signed_digest)]
        if not signed_by:
            raise VerificationError(
                "the bundle's signature does not verify with the given key"
                + ("s" if len(keys) > 1 else ""),
                check="signature",
            )
        outcome.message_digest = signed_digest.hex()
        envelope, keyids, digest = None, set(), signed_digest
    outcome.checks.append("signature")
    _check_hint(document, signed_by, keyids)
    outcome.checks.append("key hint")
    outcome.signers.extend(SignerIdentity(kind="key", key_hint=key_hint(k)) for k in signed_by)
    _check_log(document, trusted_root, signed_by[0], first_signature, digest, envelope, outcome)
    return outcome


def _verify_envelope(envelope: Envelope, keys: list[Any]) -> list[Any]:
    """The given key whose signature this is (the envelope holds exactly one).

    A signature whose keyid names a given key must verify with that key.
    """
    (signature,) = envelope.signatures  # verify_bundle rejected envelopes with more
    claimed = [key for key in keys if signature.keyid and hint_names(signature.keyid, key)]
    for key in claimed or keys:
        if verify_bytes(key, signature.sig, envelope.pae):
            return [key]
    if claimed:
        raise VerificationError(
            f"DSSE signature by key {key_hint(claimed[0])} does not verify over the payload",
            check="signature",
        )
    raise VerificationError(
        "the DSSE signature verifies with none of the given keys", check="signature"
    )


def _check_hint(document: dict[str, Any], signed_by: list[Any], keyids: set[str]) -> None:
    """The hint, when present, must name a key that signed (or a keyid in the envelope)."""
    public_key = document["verificationMaterial"].get("publicKey")
    hint = public_key.get("hint") if isinstance(public_key, dict) else None
    if not hint:
        return
    if hint in keyids or any(hint_names(hint, key) for key in signed_by):
        return
    raise VerificationError(
        "the bundle's publicKey.hint names another key than the one that signed",
        check="key hint",
        expected=key_hint(signed_by[0]),
        actual=str(hint),
    )


def _check_log(
    document: dict[str, Any],
    trusted_root: Any,
    key: Any,
    signature: bytes,
    digest: bytes | None,
    envelope: Envelope | None,
    outcome: Outcome,
) -> None:
    entries = document["verificationMaterial"].get("tlogEntries") or []
    if not entries:
        outcome.skipped.append("tlog entry: the bundle has none (key signatures need none)")
        return
    if trusted_root is None:
        outcome.skipped.append("tlog entry: no trusted root given to check it against")
        return
    for entry in entries:
        time = verify_log_entry(
            entry,
            trusted_root,
            public_key=key,
            signature=signature,
            message_digest=digest,
            envelope=envelope,
        )
        outcome.integrated_time = outcome.integrated_time or time
    outcome.checks.append("tlog entry")
