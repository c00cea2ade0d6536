"""Turn verified token claims into what Fulcio puts in a certificate.

Mirrors Fulcio's issuer types that matter for tests: email (RFC822 SAN), GitHub Actions
workflow (URI SAN plus the GitHub OIDs), and a generic URI subject. Both issuer extensions are
written: 1.3.6.1.4.1.57264.1.1 (raw string, what `policy.Identity` reads) and .1.8 (DER
UTF8String).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from tests.sigstore_stack.der import utf8_string
from tests.sigstore_stack.tokens import GITHUB_ACTIONS_ISSUER, GITHUB_URL, TokenError

_FULCIO_ARC = "1.3.6.1.4.1.57264.1"
ISSUER_V1_OID = x509.ObjectIdentifier(f"{_FULCIO_ARC}.1")
ISSUER_V2_OID = x509.ObjectIdentifier(f"{_FULCIO_ARC}.8")

# Legacy GitHub OIDs (raw string values): trigger, sha, workflow name, repository, ref.
_GITHUB_V1: dict[int, str] = {2: "event_name", 3: "sha", 4: "workflow", 5: "repository", 6: "ref"}

# v2 OIDs (DER UTF8String values), each derived from the GitHub claims.
_GITHUB_V2: dict[int, Callable[[dict[str, Any]], str]] = {
    9: lambda c: GITHUB_URL + c["job_workflow_ref"],
    10: lambda c: c["job_workflow_sha"],
    11: lambda c: c["runner_environment"],
    12: lambda c: GITHUB_URL + c["repository"],
    13: lambda c: c["sha"],
    14: lambda c: c["ref"],
    15: lambda c: c["repository_id"],
    16: lambda c: GITHUB_URL + c["repository_owner"],
    17: lambda c: c["repository_owner_id"],
    18: lambda c: GITHUB_URL + c["workflow_ref"],
    19: lambda c: c["workflow_sha"],
    20: lambda c: c["event_name"],
    21: lambda c: (
        f"{GITHUB_URL}{c['repository']}/actions/runs/{c['run_id']}/attempts/{c['run_attempt']}"
    ),
    22: lambda c: c["repository_visibility"],
}


@dataclass(frozen=True)
class Principal:
    """Who the certificate is for, and what the proof of possession must have signed."""

    san: x509.GeneralName
    issuer: str
    extensions: tuple[x509.UnrecognizedExtension, ...]
    subject: str

    @property
    def identity(self) -> str:
        """The SAN value, as `policy.Identity` compares it."""
        return str(self.san.value)


def _raw(arc: int, value: str) -> x509.UnrecognizedExtension:
    return x509.UnrecognizedExtension(x509.ObjectIdentifier(f"{_FULCIO_ARC}.{arc}"), value.encode())


def _utf8(arc: int, value: str) -> x509.UnrecognizedExtension:
    return x509.UnrecognizedExtension(
        x509.ObjectIdentifier(f"{_FULCIO_ARC}.{arc}"), utf8_string(value)
    )


def _issuer_extensions(issuer: str) -> list[x509.UnrecognizedExtension]:
    return [_raw(1, issuer), _utf8(8, issuer)]


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """Map claims to a principal, refusing tokens Fulcio would refuse."""
    issuer = str(claims["iss"])
    federated = claims.get("federated_claims")
    if isinstance(federated, dict) and isinstance(federated.get("connector_id"), str):
        issuer = federated["connector_id"]

    if claims["iss"] == GITHUB_ACTIONS_ISSUER:
        try:
            extensions = _issuer_extensions(issuer)
            extensions += [_raw(arc, str(claims[name])) for arc, name in _GITHUB_V1.items()]
            extensions += [_utf8(arc, derive(claims)) for arc, derive in _GITHUB_V2.items()]
        except KeyError as exc:
            raise TokenError(f"GitHub token is missing the {exc.args[0]!r} claim") from exc
        san = x509.UniformResourceIdentifier(GITHUB_URL + claims["job_workflow_ref"])
        return Principal(san, issuer, tuple(extensions), str(claims["sub"]))

    if "email" in claims:
        if claims.get("email_verified") is not True:
            raise TokenError("email is not verified")
        email = str(claims["email"])
        return Principal(x509.RFC822Name(email), issuer, tuple(_issuer_extensions(issuer)), email)

    subject = str(claims["sub"])
    if "://" in subject:
        san = x509.UniformResourceIdentifier(subject)
        return Principal(san, issuer, tuple(_issuer_extensions(issuer)), subject)
    raise TokenError("token has neither an email nor a URI subject")
