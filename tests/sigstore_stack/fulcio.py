"""A Fulcio-like `POST /api/v2/signingCert`, shaped as sigstore-python 4.5.1's client uses it.

Request: `{"certificateSigningRequest": base64(PEM CSR)}` with `Authorization: Bearer <token>`
(or Fulcio's other form, `publicKeyRequest` + `proofOfPossession`). Response (201):
`{"signedCertificateEmbeddedSct": {"chain": {"certificates": [leaf, intermediate, root]}}}`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.sigstore_stack.ca import CertificateAuthority
from tests.sigstore_stack.principals import principal_from_claims
from tests.sigstore_stack.sct import CTLog
from tests.sigstore_stack.server import HttpError, Request, Response, json_response
from tests.sigstore_stack.tokens import TokenError, TokenIssuer

SIGNING_CERT_PATH = "/api/v2/signingCert"
TRUST_BUNDLE_PATH = "/api/v2/trustBundle"
CERT_LIFETIME = dt.timedelta(minutes=10)


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise HttpError(400, f"{what} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise HttpError(400, f"{what} is not base64: {exc}") from exc


def _check_key_type(key: Any) -> None:
    if isinstance(key, ec.EllipticCurvePublicKey):
        return
    if isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048:
        return
    raise HttpError(400, f"unsupported public key type: {type(key).__name__}")


def _key_from_csr(encoded: Any) -> Any:
    """Proof of possession, CSR form: the CSR's self-signature."""
    try:
        csr = x509.load_pem_x509_csr(_b64(encoded, "certificateSigningRequest"))
    except ValueError as exc:
        raise HttpError(400, f"invalid CSR: {exc}") from exc
    if not csr.is_signature_valid:
        raise HttpError(400, "CSR signature (proof of possession) is invalid")
    return csr.public_key()


def _key_from_public_key_request(request: dict[str, Any], subject: str) -> Any:
    """Proof of possession, key form: a signature over the token's subject."""
    try:
        pem = request["publicKey"]["content"]
        key = serialization.load_pem_public_key(pem.encode())
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise HttpError(400, f"invalid publicKeyRequest.publicKey: {exc}") from exc
    signature = _b64(request.get("proofOfPossession"), "proofOfPossession")
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, subject.encode(), ec.ECDSA(hashes.SHA256()))
        else:
            raise HttpError(400, "publicKeyRequest supports EC keys only")
    except InvalidSignature as exc:
        raise HttpError(400, "proof of possession signature is invalid") from exc
    return key


@dataclass(frozen=True)
class Fulcio:
    """Issues leaf certificates for verified tokens from the stack's OIDC issuer."""

    ca: CertificateAuthority
    ct_log: CTLog
    token_issuer: TokenIssuer
    cert_lifetime: dt.timedelta = CERT_LIFETIME

    def handle(self, request: Request) -> Response:
        """Route one request."""
        if request.method == "POST" and request.path == SIGNING_CERT_PATH:
            return json_response(201, self.signing_cert(request))
        if request.method == "GET" and request.path == TRUST_BUNDLE_PATH:
            chain = [_pem(cert) for cert in self.ca.chain]
            return json_response(200, {"chains": [{"certificates": chain}]})
        raise HttpError(404, f"no route for {request.method} {request.path}")

    def signing_cert(self, request: Request) -> dict[str, Any]:
        """Verify the token and proof of possession, then issue a certificate chain."""
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise HttpError(401, "missing bearer token")
        try:
            principal = principal_from_claims(self.token_issuer.verify(auth[len("Bearer ") :]))
        except TokenError as exc:
            raise HttpError(401, f"invalid identity token: {exc}") from exc

        body = request.json()
        if not isinstance(body, dict):
            raise HttpError(400, "request body must be a JSON object")
        if "certificateSigningRequest" in body:
            public_key = _key_from_csr(body["certificateSigningRequest"])
        elif isinstance(body.get("publicKeyRequest"), dict):
            public_key = _key_from_public_key_request(body["publicKeyRequest"], principal.subject)
        else:
            raise HttpError(400, "need certificateSigningRequest or publicKeyRequest")
        _check_key_type(public_key)

        leaf = self.ca.issue_leaf(
            public_key=public_key,
            san=principal.san,
            extensions=principal.extensions,
            ct_log=self.ct_log,
            lifetime=self.cert_lifetime,
        )
        chain = [_pem(cert) for cert in (leaf, *self.ca.chain)]
        return {"signedCertificateEmbeddedSct": {"chain": {"certificates": chain}}}
