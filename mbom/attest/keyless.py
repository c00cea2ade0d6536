"""Sigstore keyless signing: an OIDC identity gets a short-lived Fulcio certificate, and the
signature is recorded in Rekor, so no long-lived key has to be kept.

Usage::

    from mbom.attest.keyless import Keyless

    keyless = Keyless(identity_token=token)                      # public Sigstore
    keyless = Keyless(trust_config="trust_config.json")          # a private instance
    keyless = Keyless(staging=True)                              # Sigstore's staging
    bundle = keyless.sign_statement(payload_bytes)               # Sigstore bundle v0.3 (dict)

Without ``identity_token`` an ambient CI credential is used (GitHub Actions, GitLab CI,
Buildkite, Google Cloud ... through sigstore-python's ``detect_credential``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from mbom.errors import InputError


@dataclass(frozen=True, slots=True)
class Keyless:
    """How to reach Sigstore and who signs."""

    identity_token: str | None = None
    trust_config: str | os.PathLike[str] | None = None
    staging: bool = False

    def sign_statement(self, payload: bytes) -> dict[str, Any]:
        """Sign in-toto statement bytes as DSSE; the bundle carries certificate + log entry."""
        from sigstore.dsse import Statement
        from sigstore.errors import Error

        try:
            statement = Statement(payload)
        except Error as exc:
            raise InputError(f"statement rejected by sigstore: {exc}") from None
        return self._sign(lambda signer: signer.sign_dsse(statement))

    def _sign(self, operation: Any) -> dict[str, Any]:
        from sigstore.errors import Error
        from sigstore.oidc import ExpiredIdentity, IdentityToken
        from sigstore.sign import SigningContext

        from mbom.attest._internal.sigstore_glue import load_trust_config, one_line

        config = load_trust_config(self.trust_config, staging=self.staging)
        token = self._token()
        try:
            identity = IdentityToken(token)
            context = SigningContext.from_trust_config(config)
            with context.signer(identity) as signer:
                bundle = operation(signer)
        except ExpiredIdentity:
            raise InputError("the identity token has expired; get a fresh one") from None
        except Error as exc:
            raise InputError(f"keyless signing failed: {one_line(exc)}") from None
        return json.loads(bundle.to_json())

    def _token(self) -> str:
        if self.identity_token:
            return self.identity_token
        from sigstore.errors import Error
        from sigstore.oidc import detect_credential

        from mbom.attest._internal.sigstore_glue import one_line

        try:
            token = detect_credential()
        except Error as exc:
            raise InputError(f"ambient OIDC credential detection failed: {one_line(exc)}") from None
        if not token:
            raise InputError(
                "no identity token: pass --identity-token, or run in a CI job that can mint "
                "OIDC tokens (GitHub Actions with 'id-token: write', GitLab CI with "
                "SIGSTORE_ID_TOKEN)"
            )
        return token
