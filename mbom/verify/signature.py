"""The signature layer of one bundle, as checks: signature, trust, payload type, statement.

Usage::

    from mbom.verify.signature import check_signature

    outcome = check_signature(document, trust, bundle="bom.sigstore.json")
    outcome.verified          # the VerifiedBundle, or None when a check failed
    outcome.checks            # pass / skip checks, or the one that failed
    outcome.statement         # the statement, verified or not (still compared, never trusted)

:func:`mbom.attest.verify_bundle` does the cryptography; this module turns its verdict into
checks, tries every trusted keyless identity, and reports missing trust material as a check
that could not be evaluated (exit 3) rather than an exception. Trust material of the wrong
kind (a certificate when only keys are trusted, or the reverse) is an evaluated failure,
``trust-material`` (exit 1): the bundle is attacker-controlled, the verifier's trust is not.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mbom.errors import InputError, MalformedFileError, TrustMaterialError, VerificationError
from mbom.verify.checks import Check, fail, passed, skipped
from mbom.verify.trust import Trust

#: mbom.attest check names -> report check ids, with what a pass means.
CHECK_IDS = {
    "bundle": ("bundle", "the bundle is well formed"),
    "payload type": ("payload-type", "DSSE payload type is application/vnd.in-toto+json"),
    "certificate": ("certificate", "certificate chains to the trusted root"),
    "identity": ("identity", "certificate identity and issuer are trusted"),
    "tlog entry": ("tlog", "transparency-log entry verified"),
    "signature": ("signature", "signature verifies"),
    "key hint": ("key-hint", "key hint names the signing key"),
    "message digest": ("message-digest", "the file's SHA-256 is the signed digest"),
    "subject": ("subject", "a subject of the statement is the file"),
    "statement": ("statement", "payload is an in-toto Statement v1"),
    "trust material": ("trust-material", "the bundle's verification material is trusted"),
    "dsse signatures": ("dsse-signatures", "the DSSE envelope carries exactly one signature"),
}


@dataclass(frozen=True, slots=True)
class SignatureOutcome:
    """What the signature layer proved about one bundle."""

    verified: Any  # mbom.attest.VerifiedBundle, or None when a check failed
    checks: tuple[Check, ...]
    statement: Any  # mbom.attest.Statement (verified or not), or None

    @property
    def signers(self) -> tuple[dict[str, str], ...]:
        if self.verified is None:
            return ()
        time = self.verified.integrated_time
        stamp = {"integratedTime": time.isoformat().replace("+00:00", "Z")} if time else {}
        return tuple({**signer_json(signer), **stamp} for signer in self.verified.signers)


def signer_json(signer: Any) -> dict[str, str]:
    document = {"kind": signer.kind}
    for key, value in (
        ("keyHint", signer.key_hint),
        ("identity", signer.identity),
        ("issuer", signer.issuer),
    ):
        if value is not None:
            document[key] = value
    return document


def is_keyless(document: Mapping[str, Any]) -> bool:
    material = document["verificationMaterial"]
    return "certificate" in material or "x509CertificateChain" in material


def check_signature(
    document: Mapping[str, Any],
    trust: Trust,
    *,
    bundle: str,
    artifact_digest: str | None = None,
) -> SignatureOutcome:
    """Verify ``document`` against ``trust``; never raises for a verification outcome.

    The statement is parsed from the envelope only when verification fails (a verified
    bundle carries the one it proved): a 20,000-file BOM is a 12 MB payload."""
    try:
        verified = _verify(document, trust, artifact_digest)
    except TrustMaterialError as exc:
        check = fail("trust", str(exc), bundle=bundle, evaluated=False)
        return SignatureOutcome(None, (check,), unverified_statement(document))
    except VerificationError as exc:
        check_id = CHECK_IDS.get(exc.check or "signature", (exc.check or "signature",))[0]
        check = fail(
            check_id,
            exc.message,
            bundle=bundle,
            path=exc.path,
            expected=exc.expected,
            actual=exc.actual,
        )
        return SignatureOutcome(None, (check,), unverified_statement(document))
    except InputError as exc:  # e.g. a message signature about a directory: fail closed
        check = fail("signature", str(exc), bundle=bundle)
        return SignatureOutcome(None, (check,), unverified_statement(document))
    checks = [_passed(name, verified, bundle) for name in verified.checks]
    for entry in verified.skipped:
        name, _, reason = entry.partition(": ")
        check_id = CHECK_IDS.get(name, (name.replace(" ", "-"),))[0]
        checks.append(
            skipped(check_id, f"{name} not checked: {reason or 'skipped'}", bundle=bundle)
        )
    return SignatureOutcome(verified, tuple(checks), verified.statement)


def _passed(name: str, verified: Any, bundle: str) -> Check:
    check_id, meaning = CHECK_IDS.get(name, (name.replace(" ", "-"), f"{name} verified"))
    if check_id == "signature":
        who = ", ".join(_describe(signer) for signer in verified.signers)
        meaning = f"signature verifies: signed by {who}"
    return passed(check_id, meaning, bundle=bundle)


def _describe(signer: Any) -> str:
    if signer.kind == "key":
        return f"key {signer.key_hint}"
    return f"{signer.identity} ({signer.issuer})"


def _verify(document: Mapping[str, Any], trust: Trust, digest: str | None) -> Any:
    from mbom.attest.verification import verify_bundle

    if trust.empty:
        raise TrustMaterialError(
            "no trust material given: a public key (--key), a keyless identity "
            "(--identity/--issuer) or a CA chain (--certificate-chain), or policy trust"
        )
    material = material_kind(document)
    if material == "key":
        if not trust.keys:
            raise _mismatch("a bare public key (publicKey hint)", trust)
        return verify_bundle(
            document, keys=trust.keys, trusted_root=trust.trusted_root, artifact_digest=digest
        )
    if trust.certificate_chain and (not trust.identities or not _tlog_entries(document)):
        return verify_bundle(
            document, certificate_chain=trust.certificate_chain, artifact_digest=digest
        )
    if not trust.identities:
        raise _mismatch("a certificate", trust)
    if trust.trusted_root is None:
        raise TrustMaterialError(
            "a keyless bundle needs a trusted root (--trusted-root, --trust-config or policy)"
        )
    mismatch: VerificationError | None = None
    for rule in trust.identities:
        identity, issuer = rule.patterns()
        try:
            return verify_bundle(
                document,
                identity=identity,
                issuer=issuer,
                trusted_root=trust.trusted_root,
                artifact_digest=digest,
            )
        except VerificationError as exc:
            if exc.check != "identity":
                raise
            mismatch = exc
    assert mismatch is not None
    expected = "; ".join(rule.describe() for rule in trust.identities)
    raise VerificationError(
        f"{mismatch.message} (trusted: {expected})", check="identity", expected=expected
    )


def material_kind(document: Mapping[str, Any]) -> str:
    """``key`` (publicKey hint) or ``certificate`` (Fulcio certificate or an X.509 chain)."""
    return "certificate" if is_keyless(document) else "key"


def _trusted_kinds(trust: Trust) -> str:
    kinds = [
        name
        for name, given in (
            ("public keys", trust.keys),
            ("keyless identities", trust.identities),
            ("a CA certificate chain", trust.certificate_chain),
        )
        if given
    ]
    return " and ".join(kinds)


def _mismatch(found: str, trust: Trust) -> VerificationError:
    """The bundle's verification material is of a kind the verifier does not trust: a "no".

    The verifier did give trust material, so this is evaluated (exit 1): an attacker who can
    write the bundle must not turn "tampered" into "could not evaluate" (exit 3).
    """
    trusted = _trusted_kinds(trust)
    return VerificationError(
        f"the bundle is verified by {found}, but only {trusted} are trusted",
        check="trust material",
        expected=trusted,
        actual=found,
    )


def _tlog_entries(document: Mapping[str, Any]) -> list[Any]:
    entries = document["verificationMaterial"].get("tlogEntries")
    return entries if isinstance(entries, list) else []


def unverified_statement(document: Mapping[str, Any]) -> Any:
    """The statement a DSSE bundle carries, parsed but not trusted (None if unreadable)."""
    from mbom.attest.statement import parse_statement

    envelope = document.get("dsseEnvelope")
    payload = envelope.get("payload") if isinstance(envelope, Mapping) else None
    if not isinstance(payload, str):
        return None
    try:
        return parse_statement(base64.b64decode(payload, validate=True))
    except (binascii.Error, ValueError, MalformedFileError):
        return None
