"""Whom to trust: public keys, keyless identities (exact or regular expression), a trusted root.

Usage::

    from mbom.verify.trust import IdentityRule, load_trust

    trust = load_trust(keys=["release.pub"])
    trust = load_trust(identities=[IdentityRule("ci@example.com", "https://issuer")],
                       trusted_root="trusted_root.json")
    trust = load_trust(certificate_chain="private-ca.pem")   # model_signing certificate mode

Trust comes from the command line or from a policy's ``trust`` section (docs/policy.md).
Files are loaded here, before anything is hashed, so a bad key or root file is an input
error (exit 2) and never a half-written report.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mbom.errors import InputError


@dataclass(frozen=True, slots=True)
class IdentityRule:
    """An expected keyless signer: certificate identity (SAN) and OIDC issuer."""

    identity: str
    issuer: str
    identity_regex: bool = False
    issuer_regex: bool = False

    def patterns(self) -> tuple[str | re.Pattern[str], str | re.Pattern[str]]:
        """What :func:`mbom.attest.verify_bundle` takes: strings, or full-match patterns."""
        return (
            _compiled(self.identity) if self.identity_regex else self.identity,
            _compiled(self.issuer) if self.issuer_regex else self.issuer,
        )

    def describe(self) -> str:
        who = f"/{self.identity}/" if self.identity_regex else self.identity
        by = f"/{self.issuer}/" if self.issuer_regex else self.issuer
        return f"{who} from {by}"


@dataclass(frozen=True, slots=True)
class Trust:
    """Loaded trust material (keys are ``cryptography`` public keys, the root a TrustedRoot).

    ``certificate_chain`` holds the CA certificates of a private PKI (model_signing's
    ``certificate`` mode); ``artifact_signature`` says the caller accepts message-signature
    bundles over a single file (docs/attestation.md, domain separation).
    """

    keys: tuple[Any, ...] = ()
    identities: tuple[IdentityRule, ...] = ()
    trusted_root: Any = None
    key_names: tuple[str, ...] = ()
    certificate_chain: tuple[Any, ...] = ()
    artifact_signature: bool = False

    @property
    def empty(self) -> bool:
        """No trust material at all: nothing can be evaluated (exit 3)."""
        return not self.keys and not self.identities and not self.certificate_chain


def load_trust(
    *,
    keys: Sequence[str | os.PathLike[str]] = (),
    identities: Sequence[IdentityRule] = (),
    trusted_root: str | os.PathLike[str] | None = None,
    trust_config: str | os.PathLike[str] | None = None,
    certificate_chain: str | os.PathLike[str] | None = None,
    artifact_signature: bool = False,
) -> Trust:
    """Load keys, the trusted root and a private CA chain; check regular expressions compile."""
    from mbom.attest._internal.sigstore_glue import load_trusted_root
    from mbom.attest.keys import load_public_key

    if trusted_root is not None and trust_config is not None:
        raise InputError("give either a trusted root or a trust config, not both")
    for rule in identities:
        rule.patterns()
    return Trust(
        keys=tuple(load_public_key(key) for key in keys),
        identities=tuple(identities),
        trusted_root=load_trusted_root(trusted_root, trust_config),
        key_names=tuple(os.fspath(key) for key in keys),
        certificate_chain=load_certificate_chain(certificate_chain) if certificate_chain else (),
        artifact_signature=artifact_signature,
    )


def load_certificate_chain(path: str | os.PathLike[str]) -> tuple[Any, ...]:
    """The PEM CA certificates of ``path`` (at least one); a bad file is an input error."""
    from cryptography import x509

    from mbom.errors import TrustMaterialError

    name = os.fspath(path)
    if not os.path.isfile(name):
        raise TrustMaterialError(f"{name}: certificate chain file not found", path=name)
    try:
        with open(name, "rb") as handle:
            certificates = x509.load_pem_x509_certificates(handle.read(1024 * 1024))
    except (OSError, ValueError) as exc:
        raise InputError(f"{name}: not a PEM certificate chain: {exc}", path=name) from None
    return tuple(certificates)


def _compiled(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise InputError(f"regular expression {pattern!r}: {exc}") from None
