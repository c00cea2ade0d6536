"""Everything mbom needs from sigstore-python besides signing: trust roots, identity, errors.

Kept in one module so the private sigstore names used (pinned to sigstore 4.x) are in one place.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from mbom.errors import InputError, TrustMaterialError

_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1"
_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8"
_OTHERNAME = "1.3.6.1.4.1.57264.1.7"

#: (words in a sigstore-python error, the mbom check it means), first match wins.
_CHECK_WORDS = (
    (("dsse: invalid signature", "signature is invalid"), "signature"),
    (("message digest mismatch",), "message digest"),
    (("log entry", "inclusion", "checkpoint", "set:"), "tlog entry"),
    (("cert", "sct", "chain", "key usage", "extended usage"), "certificate"),
    (("sources of verified time", "timestamp"), "tlog entry"),
)


@dataclass(frozen=True, slots=True)
class CertificateIdentity:
    """Who a Fulcio certificate was issued to: its SAN and the OIDC issuer extension."""

    identity: str | None
    issuer: str | None


def one_line(exc: BaseException) -> str:
    """An exception as one line (sigstore-python messages can span several)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def check_for(message: str) -> str:
    """The mbom check name a sigstore-python verification error message is about."""
    lowered = message.lower()
    for words, check in _CHECK_WORDS:
        if any(word in lowered for word in words):
            return check
    return "signature"


def certificate_identity(certificate: Any) -> CertificateIdentity:
    """The first SAN (email, URI or Sigstore other-name) and the OIDC issuer of ``certificate``."""
    from cryptography import x509
    from cryptography.hazmat import asn1

    sans: list[str] = []
    try:
        ext = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans.extend(ext.get_values_for_type(x509.RFC822Name))
        sans.extend(ext.get_values_for_type(x509.UniformResourceIdentifier))
        sans.extend(
            name.value.decode("utf-8", "replace")
            for name in ext.get_values_for_type(x509.OtherName)
            if name.type_id.dotted_string == _OTHERNAME
        )
    except x509.ExtensionNotFound:
        pass
    issuer = None
    for ext in certificate.extensions:
        if ext.oid.dotted_string == _ISSUER_V2:
            issuer = asn1.decode_der(str, ext.value.value)
            break
        if ext.oid.dotted_string == _ISSUER_V1:
            issuer = ext.value.value.decode("utf-8", "replace")
    return CertificateIdentity(identity=sans[0] if sans else None, issuer=issuer)


class IdentityMismatch(Exception):
    """Raised inside sigstore-python's verifier when the certificate's identity is not wanted."""


class IdentityPolicy:
    """A sigstore ``VerificationPolicy``: exact strings, or ``re.Pattern`` (full match)."""

    def __init__(self, identity: str | re.Pattern[str], issuer: str | re.Pattern[str]) -> None:
        self.identity = identity
        self.issuer = issuer

    def verify(self, certificate: Any) -> None:
        found = certificate_identity(certificate)
        if not _matches(self.issuer, found.issuer):
            raise IdentityMismatch(
                f"certificate OIDC issuer is {found.issuer!r}, expected {_shown(self.issuer)}"
            )
        if not _matches(self.identity, found.identity):
            raise IdentityMismatch(
                f"certificate identity is {found.identity!r}, expected {_shown(self.identity)}"
            )


def _matches(wanted: str | re.Pattern[str], actual: str | None) -> bool:
    if actual is None:
        return False
    if isinstance(wanted, re.Pattern):
        return wanted.fullmatch(actual) is not None
    return wanted == actual


def _shown(wanted: str | re.Pattern[str]) -> str:
    return f"/{wanted.pattern}/" if isinstance(wanted, re.Pattern) else repr(wanted)


def is_intoto_v002(entry: Any) -> bool:
    """Whether a sigstore ``TransparencyLogEntry`` is of the Rekor ``intoto`` 0.0.2 kind."""
    kind_version = entry._inner.kind_version
    return (kind_version.kind, kind_version.version) == ("intoto", "0.0.2")


def verify_intoto_dsse(trusted_root: Any, bundle: Any, policy: Any) -> tuple[str, bytes]:
    """sigstore-python's keyless checks for a DSSE bundle logged as ``intoto`` 0.0.2.

    sigstore-python 4.5 verifies DSSE only with dsse 0.0.1 / hashedrekord 0.0.2 entries and
    takes a log's integrated time as verified only for 0.0.1 kinds, although the signed entry
    timestamp signs it the same way for ``intoto`` 0.0.2 (``cosign attest-blob``). This runs
    its common certificate checks (chain at the verified time, SCT, key usage, identity
    policy, inclusion proof, checkpoint, SET) with that time accepted, then the envelope's
    signature. The caller checks that the entry body records this envelope.
    """
    import datetime as dt

    from sigstore import dsse
    from sigstore._internal.timestamp import TimestampSource, TimestampVerificationResult
    from sigstore.verify import Verifier

    class _IntotoVerifier(Verifier):
        def _establish_time(self, bundle: Any) -> list[Any]:
            inner = bundle.log_entry._inner
            if not (inner.integrated_time and inner.inclusion_promise):
                return super()._establish_time(bundle)
            material = bundle.verification_material.timestamp_verification_data
            times = self._verify_timestamp_authority(bundle) if material else []
            moment = dt.datetime.fromtimestamp(int(inner.integrated_time), dt.timezone.utc)
            times.append(
                TimestampVerificationResult(
                    source=TimestampSource.TRANSPARENCY_SERVICE, time=moment
                )
            )
            return times

    verifier = _IntotoVerifier(trusted_root=trusted_root)
    verifier._verify_common_signing_cert(bundle, policy)
    envelope = bundle._dsse_envelope
    dsse._verify(bundle.signing_certificate.public_key(), envelope)
    return envelope._inner.payload_type, envelope._inner.payload


def load_trusted_root(
    trusted_root: str | os.PathLike[str] | None = None,
    trust_config: str | os.PathLike[str] | None = None,
) -> Any | None:
    """A sigstore ``TrustedRoot`` from a trusted-root or a trust-config file; no network."""
    if trusted_root is None and trust_config is None:
        return None  # key bundles need no root: do not pay for importing sigstore
    from sigstore.models import TrustedRoot

    if trusted_root is not None:
        name = os.fspath(trusted_root)
        _require_file(name, "trusted root")
        try:
            return TrustedRoot.from_file(name)
        except Exception as exc:  # sigstore raises several pydantic / value error types
            raise InputError(f"{name}: not a valid Sigstore trusted root: {_reason(exc)}") from None
    if trust_config is not None:
        return load_trust_config(trust_config).trusted_root
    return None


def load_trust_config(
    trust_config: str | os.PathLike[str] | None = None, *, staging: bool = False
) -> Any:
    """A sigstore ``ClientTrustConfig``: from a file, or Sigstore's (staging) TUF repository."""
    from sigstore.models import ClientTrustConfig

    if trust_config is None:
        try:
            return ClientTrustConfig.staging() if staging else ClientTrustConfig.production()
        except Exception as exc:
            instance = "staging" if staging else "production"
            raise TrustMaterialError(
                f"cannot get the Sigstore {instance} trust root (TUF): {exc}"
            ) from None
    name = os.fspath(trust_config)
    _require_file(name, "trust config")
    try:
        with open(name, encoding="utf-8") as handle:
            return ClientTrustConfig.from_json(handle.read())
    except Exception as exc:
        raise InputError(
            f"{name}: not a valid Sigstore client trust config: {_reason(exc)}"
        ) from None


def _reason(exc: Exception) -> str:
    """One line for a parse failure: pydantic's first error with its field path, else the
    first line of the message (the CLI contract is a one-line error)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            where = ".".join(_printable(str(part)) for part in first.get("loc", ()))
            more = len(errors()) - 1
            tail = f" (and {more} more)" if more else ""
            return f"{where + ': ' if where else ''}{first.get('msg', '')}{tail}"
        except (IndexError, TypeError, AttributeError):
            pass
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__


def _printable(text: str) -> str:
    """A field name from the file as one printable line (a key may hold a newline)."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)[:100]


def _require_file(name: str, what: str) -> None:
    if not os.path.isfile(name):
        raise TrustMaterialError(f"{name}: {what} file not found", path=name)
