"""Whom to trust: public keys, keyless identities (exact or regular expression), a trusted root.

Usage::

    from mbom.verify.trust import IdentityRule, load_trust

    trust = load_trust(keys=["release.pub"])
    trust = load_trust(identities=[IdentityRule("ci@example.com", "https://issuer")],
                       trusted_root="trusted_root.json")

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
    """Loaded trust material (keys are ``cryptography`` public keys, the root a TrustedRoot)."""

    keys: tuple[Any, ...] = ()
    identities: tuple[IdentityRule, ...] = ()
    trusted_root: Any = None
    key_names: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.keys and not self.identities


def load_trust(
    *,
    keys: Sequence[str | os.PathLike[str]] = (),
    identities: Sequence[IdentityRule] = (),
    trusted_root: str | os.PathLike[str] | None = None,
    trust_config: str | os.PathLike[str] | None = None,
) -> Trust:
    """Load keys and the trusted root; check regular expressions compile."""
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
    )


def _compiled(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise InputError(f"regular expression {pattern!r}: {exc}") from None
