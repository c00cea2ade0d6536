"""Test OIDC identity tokens: minted and checked with a stack-held ES256 key.

sigstore-python's `IdentityToken` only decodes the JWT (no signature check) and insists on
`aud` == "sigstore", `iss`, `sub`, `iat`, `exp` (and `nbf` if present); for known issuers it
reads `email` or `sub`. The local Fulcio, like the real one, does verify the signature, so a
token forged with another key is refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from tests.sigstore_stack.keys import key_id, new_p256_key

AUDIENCE = "sigstore"
DEFAULT_ISSUER = "https://oidc.example.test"
DEFAULT_EMAIL = "signer@example.test"
GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com"
GITHUB_URL = "https://github.com/"
DEFAULT_TTL_S = 300
CLOCK_SKEW_S = 5


class TokenError(ValueError):
    """The token is malformed, wrongly signed, expired, or for another audience."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def github_claims(workflow_identity: str) -> dict[str, Any]:
    """Claims a GitHub Actions token carries for `https://github.com/OWNER/REPO/PATH@REF`."""
    if not workflow_identity.startswith(GITHUB_URL) or "@" not in workflow_identity:
        raise ValueError(f"not a GitHub workflow identity: {workflow_identity!r}")
    job_workflow_ref = workflow_identity.removeprefix(GITHUB_URL)
    path, ref = job_workflow_ref.split("@", 1)
    owner, repo, *workflow_path = path.split("/")
    repository = f"{owner}/{repo}"
    sha = hashlib.sha1(workflow_identity.encode()).hexdigest()
    workflow_file = workflow_path[-1] if workflow_path else "workflow"
    return {
        "sub": f"repo:{repository}:ref:{ref}",
        "repository": repository,
        "repository_id": str(
            int.from_bytes(hashlib.sha256(repository.encode()).digest()[:4], "big")
        ),
        "repository_owner": owner,
        "repository_owner_id": str(
            int.from_bytes(hashlib.sha256(owner.encode()).digest()[:4], "big")
        ),
        "repository_visibility": "public",
        "ref": ref,
        "sha": sha,
        "workflow": workflow_file.rsplit(".", 1)[0],
        "workflow_ref": job_workflow_ref,
        "workflow_sha": sha,
        "job_workflow_ref": job_workflow_ref,
        "job_workflow_sha": sha,
        "event_name": "push",
        "runner_environment": "github-hosted",
        "run_id": "1",
        "run_attempt": "1",
    }


def identity_claims(identity: str, issuer: str) -> dict[str, Any]:
    """Identity claims for `identity`: GitHub workflow, email address, or a bare subject/URI."""
    if issuer == GITHUB_ACTIONS_ISSUER:
        return github_claims(identity)
    if "@" in identity and "://" not in identity:
        return {"sub": identity, "email": identity, "email_verified": True}
    return {"sub": identity}


@dataclass(frozen=True)
class TokenIssuer:
    """The stack's OIDC provider: one ES256 key that mints tokens for any identity/issuer."""

    key: ec.EllipticCurvePrivateKey = field(default_factory=new_p256_key)

    @property
    def kid(self) -> str:
        """Key ID in the JWT header and the JWKS document."""
        return key_id(self.key.public_key()).hex()[:16]

    def jwks(self) -> dict[str, Any]:
        """The public key as a JWK set, for the discovery endpoint."""
        numbers = self.key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "EC",
                    "crv": "P-256",
                    "alg": "ES256",
                    "use": "sig",
                    "kid": self.kid,
                    "x": _b64url(numbers.x.to_bytes(32, "big")),
                    "y": _b64url(numbers.y.to_bytes(32, "big")),
                }
            ]
        }

    def mint(
        self,
        identity: str = DEFAULT_EMAIL,
        issuer: str = DEFAULT_ISSUER,
        *,
        audience: str = AUDIENCE,
        ttl_s: int = DEFAULT_TTL_S,
        federated_issuer: str | None = None,
        extra_claims: dict[str, Any] | None = None,
        now: int | None = None,
    ) -> str:
        """A signed JWT for `identity`; `federated_issuer` mimics a Dex-style federated token."""
        issued = int(time.time()) if now is None else now
        claims: dict[str, Any] = {
            "iss": issuer,
            "aud": audience,
            "iat": issued,
            "nbf": issued,
            "exp": issued + ttl_s,
            **identity_claims(identity, issuer),
        }
        if federated_issuer is not None:
            claims["federated_claims"] = {"connector_id": federated_issuer, "user_id": identity}
        claims.update(extra_claims or {})
        header = {"alg": "ES256", "typ": "JWT", "kid": self.kid}
        signing_input = (
            f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        )
        r, s = decode_dss_signature(
            self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        )
        return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def verify(self, token: str, *, audience: str = AUDIENCE) -> dict[str, Any]:
        """Check signature, audience and time claims as Fulcio does; return the claims."""
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(_b64url_decode(header_b64))
            claims = json.loads(_b64url_decode(claims_b64))
            signature = _b64url_decode(signature_b64)
        except ValueError as exc:
            raise TokenError(f"malformed token: {exc}") from exc
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise TokenError("malformed token: header and claims must be objects")
        if header.get("alg") != "ES256" or len(signature) != 64:
            raise TokenError(f"unsupported token algorithm: {header.get('alg')!r}")
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        try:
            self.key.public_key().verify(
                der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256())
            )
        except InvalidSignature as exc:
            raise TokenError("token signature is not from the stack's OIDC key") from exc
        _check_claims(claims, audience)
        return claims


def _check_claims(claims: dict[str, Any], audience: str) -> None:
    for name in ("iss", "sub", "aud", "iat", "exp"):
        if name not in claims:
            raise TokenError(f"token is missing the {name!r} claim")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if audience not in audiences:
        raise TokenError(f"token audience {claims['aud']!r} is not {audience!r}")
    now = time.time()
    if claims["exp"] <= now - CLOCK_SKEW_S:
        raise TokenError("token has expired")
    if claims.get("nbf", claims["iat"]) > now + CLOCK_SKEW_S:
        raise TokenError("token is not valid yet")
