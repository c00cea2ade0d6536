"""What the key and keyless verification paths hand back to :func:`verify_bundle`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mbom.attest.statement import PAYLOAD_TYPE
from mbom.errors import InputError, VerificationError


@dataclass(frozen=True, slots=True)
class SignerIdentity:
    """One signer: a key (by its hint) or a certificate (SAN and OIDC issuer)."""

    kind: str  # "key" or "certificate"
    key_hint: str | None = None
    identity: str | None = None
    issuer: str | None = None


@dataclass(slots=True)
class Outcome:
    """Collected while verifying (mutable while collecting; frozen into ``VerifiedBundle``)."""

    payload_type: str | None = None
    payload: bytes | None = None
    message_digest: str | None = None
    signers: list[SignerIdentity] = field(default_factory=list)
    integrated_time: int | None = None
    checks: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def check_payload_type(payload_type: str) -> None:
    """Only in-toto statements are accepted in DSSE envelopes."""
    if payload_type != PAYLOAD_TYPE:
        raise VerificationError(
            f"DSSE payload type is {payload_type!r}, expected {PAYLOAD_TYPE!r}",
            check="payload type",
            expected=PAYLOAD_TYPE,
            actual=payload_type,
        )


def message_digest(document: dict[str, Any]) -> tuple[bytes, bytes]:
    """(sha256 digest, signature) of a ``messageSignature`` bundle."""
    from mbom.attest._internal.dsse import b64decode
    from mbom.errors import MalformedFileError

    content = document["messageSignature"]
    digest = content.get("messageDigest") if isinstance(content, dict) else None
    if not isinstance(digest, dict) or digest.get("algorithm") != "SHA2_256":
        raise MalformedFileError("bundle messageSignature has no SHA2_256 messageDigest")
    return b64decode(digest.get("digest"), "messageDigest"), b64decode(
        content.get("signature"), "signature"
    )


def check_message_digest(signed: bytes, artifact_digest: str | None) -> None:
    """A message signature binds one artifact: its SHA-256 must be the signed digest."""
    if artifact_digest is None:
        raise InputError(
            "this bundle signs a single artifact (messageSignature): give the artifact's digest"
        )
    if signed.hex() != artifact_digest:
        raise VerificationError(
            "the artifact's SHA-256 is not the digest the bundle signs",
            check="message digest",
            expected=signed.hex(),
            actual=artifact_digest,
        )
