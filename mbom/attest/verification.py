"""Verify the signature layer of a Sigstore bundle: who signed what, and is the proof sound.

Usage::

    from mbom.attest.verification import verify_bundle

    # key-signed (mbom key bundles, OMS signatures, managed-key bundles logged in Rekor)
    result = verify_bundle("bom.cdx.json.sigstore.json", keys=[public_key])
    # keyless: certificate chain, identity + issuer (exact, or re.Pattern), log entry
    result = verify_bundle(path, identity="ci@example.com", issuer="https://accounts.example",
                           trusted_root="trusted_root.json")
    # a private CA (model_signing certificate mode: x509CertificateChain, no log entry)
    result = verify_bundle(path, certificate_chain=[ca_certificate])
    result.statement.subjects, result.signers, result.integrated_time, result.checks

Failures raise :class:`~mbom.errors.VerificationError` whose ``check`` names what failed:
``payload type``, ``dsse signatures``, ``signature``, ``certificate``, ``identity``,
``tlog entry``, ``key hint``, ``message digest``, ``subject``, ``statement`` or ``bundle``.
A bundle holds exactly one signature (Sigstore bundle spec): a DSSE envelope with several is
rejected; several signers write one bundle each. Missing trust material (no key
for a key bundle, no trusted root for a keyless one) raises
:class:`~mbom.errors.TrustMaterialError`. Nothing here uses the network: keyless bundles are
checked against the trusted root given (a file, or a loaded sigstore ``TrustedRoot``).

Binding the statement's subjects to files on disk and reading the BOM is the caller's job
(``mbom verify``); ``artifact_digest`` binds a single artifact: for a message signature it
must be the signed digest, for a DSSE bundle some subject must carry it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mbom.attest._internal.outcome import SignerIdentity
from mbom.attest.bundles import parse_bundle, read_bundle
from mbom.attest.statement import Statement, parse_statement
from mbom.errors import InputError, MalformedFileError, TrustMaterialError, VerificationError

Pattern = str | re.Pattern[str]
PathOrKey = Any  # a path to a PEM public key, or a loaded cryptography public key

__all__ = ["SignerIdentity", "VerifiedBundle", "verify_bundle"]


@dataclass(frozen=True, slots=True)
class VerifiedBundle:
    """What a verified bundle proves, and which checks were made to prove it."""

    content: str  # "dsse" or "message"
    payload_type: str | None
    payload: bytes | None
    statement: Statement | None
    message_digest: str | None
    signers: tuple[SignerIdentity, ...]
    integrated_time: dt.datetime | None
    checks: tuple[str, ...]
    skipped: tuple[str, ...] = ()


def verify_bundle(
    bundle: Mapping[str, Any] | str | os.PathLike[str],
    *,
    keys: Sequence[PathOrKey] = (),
    identity: Pattern | None = None,
    issuer: Pattern | None = None,
    trusted_root: Any = None,
    trust_config: str | os.PathLike[str] | None = None,
    artifact_digest: str | None = None,
    certificate_chain: Sequence[Any] = (),
) -> VerifiedBundle:
    """Verify ``bundle`` (a path or a parsed document); see the module docstring."""
    document = parse_bundle(dict(bundle)) if isinstance(bundle, Mapping) else read_bundle(bundle)
    digest = _normal_digest(artifact_digest)
    material = document["verificationMaterial"]
    if "dsseEnvelope" in document:
        _one_signature(document["dsseEnvelope"])
    keyless = "certificate" in material or "x509CertificateChain" in material
    if keyless and certificate_chain:
        from mbom.attest._internal.verify_private_ca import verify_private_ca

        return _result(verify_private_ca(document, list(certificate_chain), digest), digest)
    root = _trusted_root(trusted_root, trust_config)
    if keyless:
        from mbom.attest._internal.verify_keyless import verify_keyless

        if identity is None or issuer is None:
            raise TrustMaterialError("a keyless bundle needs the expected identity and issuer")
        if root is None:
            raise TrustMaterialError(
                "a keyless bundle needs a trusted root (--trusted-root or --trust-config)"
            )
        outcome = verify_keyless(document, root, identity, issuer, digest)
    else:
        from mbom.attest._internal.verify_key import verify_with_keys

        if not keys:
            raise TrustMaterialError("a key-signed bundle needs the signer's public key (--key)")
        outcome = verify_with_keys(document, _public_keys(keys), root, digest)
    return _result(outcome, digest)


def _one_signature(envelope: Any) -> None:
    """The bundle spec allows one DSSE signature; sigstore-js and sigstore-go reject more."""
    signatures = envelope.get("signatures") if isinstance(envelope, Mapping) else None
    if isinstance(signatures, list) and len(signatures) > 1:
        raise VerificationError(
            f"the DSSE envelope carries {len(signatures)} signatures; a Sigstore bundle holds "
            "exactly one (several signers write one bundle each)",
            check="dsse signatures",
            expected="1",
            actual=str(len(signatures)),
        )


def _result(outcome: Any, digest: str | None) -> VerifiedBundle:
    checks = list(outcome.checks)
    statement = None
    if outcome.payload is not None:
        try:
            statement = parse_statement(outcome.payload)
        except MalformedFileError as exc:
            raise VerificationError(f"signed statement: {exc}", check="statement") from None
        checks.append("statement")
        if digest is not None:
            if statement.subject_for(digest) is None:
                raise VerificationError(
                    "no subject of the statement has the artifact's SHA-256",
                    check="subject",
                    expected=digest,
                )
            checks.append("subject")
    time = outcome.integrated_time
    return VerifiedBundle(
        content="dsse" if outcome.payload is not None else "message",
        payload_type=outcome.payload_type,
        payload=outcome.payload,
        statement=statement,
        message_digest=outcome.message_digest,
        signers=tuple(outcome.signers),
        integrated_time=dt.datetime.fromtimestamp(time, dt.timezone.utc) if time else None,
        checks=tuple(checks),
        skipped=tuple(outcome.skipped),
    )


def _trusted_root(trusted_root: Any, trust_config: Any) -> Any:
    from mbom.attest._internal.sigstore_glue import load_trusted_root

    if trusted_root is None or isinstance(trusted_root, str | os.PathLike):
        return load_trusted_root(trusted_root, trust_config)
    return trusted_root  # an already loaded sigstore TrustedRoot


def _public_keys(keys: Sequence[PathOrKey]) -> list[Any]:
    from mbom.attest.keys import key_type_of, load_public_key

    loaded = []
    for key in keys:
        if isinstance(key, str | os.PathLike):
            loaded.append(load_public_key(key))
        else:
            key_type_of(key)
            loaded.append(key)
    return loaded


def _normal_digest(value: str | None) -> str | None:
    if value is None:
        return None
    digest = value.lower().removeprefix("sha256:")
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise InputError(f"artifact digest {value!r} is not a hex SHA-256")
    return digest
