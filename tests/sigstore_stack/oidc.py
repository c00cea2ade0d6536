"""OpenID discovery for the stack's token issuer, so the signing config's OIDC URL resolves.

Only discovery and the JWKS are served: tests mint tokens directly (`TokenIssuer.mint`), there
is no interactive login.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.sigstore_stack.server import HttpError, Request, Response, json_response
from tests.sigstore_stack.tokens import TokenIssuer

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/.well-known/jwks.json"


@dataclass(frozen=True)
class OidcDiscovery:
    """Serves `/.well-known/openid-configuration` and the JWKS for `base_url`."""

    token_issuer: TokenIssuer
    base_url: str

    def handle(self, request: Request) -> Response:
        """Route one request."""
        if request.method == "GET" and request.path == DISCOVERY_PATH:
            return json_response(
                200,
                {
                    "issuer": self.base_url,
                    "authorization_endpoint": f"{self.base_url}/auth",
                    "token_endpoint": f"{self.base_url}/token",
                    "jwks_uri": f"{self.base_url}{JWKS_PATH}",
                    "id_token_signing_alg_values_supported": ["ES256"],
                },
            )
        if request.method == "GET" and request.path == JWKS_PATH:
            return json_response(200, self.token_issuer.jwks())
        raise HttpError(404, f"no route for {request.method} {request.path}")
