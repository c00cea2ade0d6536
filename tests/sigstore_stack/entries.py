"""Rekor v1 entry kinds: hashedrekord 0.0.1 and dsse 0.0.1 (what sigstore-python 4.5.1
submits), and intoto 0.0.2 (what `cosign attest-blob` submits).

Each proposed entry is checked the way Rekor checks it (the signature must verify with the
submitted certificate) and turned into the canonical body Rekor stores, which is what the
Merkle leaf, the SET and sigstore-python's consistency checks are computed over.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from tests.sigstore_stack.canonical import canonical_json
from tests.sigstore_stack.server import HttpError

API_VERSION = "0.0.1"
_PREHASHES: dict[str, hashes.HashAlgorithm] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


def _field(value: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(value, dict) or name not in value:
            raise HttpError(400, f"missing field {'.'.join(path)}")
        value = value[name]
    return value


def _b64decode(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise HttpError(400, f"{what} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise HttpError(400, f"{what} is not base64: {exc}") from exc


def _verifier_key(encoded: Any) -> ec.EllipticCurvePublicKey:
    """Rekor's `publicKey.content` / dsse `verifiers[]`: base64 of a PEM certificate or key."""
    pem = _b64decode(encoded, "verification material")
    try:
        key: Any = x509.load_pem_x509_certificate(pem).public_key()
    except ValueError:
        try:
            key = serialization.load_pem_public_key(pem)
        except ValueError as exc:
            raise HttpError(400, f"verification material is neither cert nor key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise HttpError(400, "only EC verification material is supported")
    return key


def _hashedrekord(spec: Any) -> dict[str, Any]:
    algorithm = _field(spec, "data", "hash", "algorithm")
    digest_hex = _field(spec, "data", "hash", "value")
    signature_b64 = _field(spec, "signature", "content")
    public_key_b64 = _field(spec, "signature", "publicKey", "content")
    if algorithm not in _PREHASHES:
        raise HttpError(400, f"unsupported hash algorithm {algorithm!r}")
    try:
        digest = bytes.fromhex(digest_hex)
    except (TypeError, ValueError) as exc:
        raise HttpError(400, "data.hash.value is not hex") from exc
    key = _verifier_key(public_key_b64)
    try:
        key.verify(
            _b64decode(signature_b64, "signature.content"),
            digest,
            ec.ECDSA(utils.Prehashed(_PREHASHES[algorithm])),
        )
    except InvalidSignature as exc:
        raise HttpError(400, "signature does not verify against the artifact digest") from exc
    return {
        "data": {"hash": {"algorithm": algorithm, "value": digest_hex}},
        "signature": {"content": signature_b64, "publicKey": {"content": public_key_b64}},
    }


def _pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE pre-authentication encoding."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def _dsse(spec: Any) -> dict[str, Any]:
    envelope_json = _field(spec, "proposedContent", "envelope")
    verifiers = _field(spec, "proposedContent", "verifiers")
    if not isinstance(envelope_json, str):
        raise HttpError(400, "proposedContent.envelope must be a JSON string")
    if not isinstance(verifiers, list) or not verifiers:
        raise HttpError(400, "proposedContent.verifiers must be a non-empty list")
    try:
        envelope = json.loads(envelope_json)
    except ValueError as exc:
        raise HttpError(400, f"envelope is not JSON: {exc}") from exc
    payload = _b64decode(_field(envelope, "payload"), "envelope.payload")
    payload_type = _field(envelope, "payloadType")
    signatures = _field(envelope, "signatures")
    if not isinstance(payload_type, str) or not isinstance(signatures, list) or not signatures:
        raise HttpError(400, "envelope needs a payloadType and at least one signature")
    keys = [(verifier, _verifier_key(verifier)) for verifier in verifiers]
    recorded = []
    for entry in signatures:
        sig = _b64decode(_field(entry, "sig"), "envelope signature")
        recorded.append(_match_verifier(sig, _pae(payload_type, payload), keys))
    recorded.sort(key=lambda item: item["signature"])
    return {
        "envelopeHash": {
            "algorithm": "sha256",
            "value": hashlib.sha256(envelope_json.encode()).hexdigest(),
        },
        "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
        "signatures": recorded,
    }


def _match_verifier(
    sig: bytes, pae: bytes, keys: list[tuple[str, ec.EllipticCurvePublicKey]]
) -> dict[str, str]:
    for verifier, key in keys:
        try:
            key.verify(sig, pae, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            continue
        return {"signature": base64.b64encode(sig).decode(), "verifier": verifier}
    raise HttpError(400, "a DSSE signature verifies with none of the verifiers")


def _intoto(spec: Any) -> dict[str, Any]:
    """intoto 0.0.2: the envelope is stored without its payload; `sig` is base64 of the
    base64 signature and `publicKey` base64 of the PEM key or certificate (as Rekor does)."""
    envelope = _field(spec, "content", "envelope")
    payload = _b64decode(_field(envelope, "payload"), "envelope.payload")
    payload_type = _field(envelope, "payloadType")
    signatures = _field(envelope, "signatures")
    if not isinstance(payload_type, str) or not isinstance(signatures, list) or not signatures:
        raise HttpError(400, "envelope needs a payloadType and at least one signature")
    recorded = []
    for entry in signatures:
        encoded = _b64decode(_field(entry, "sig"), "envelope signature").decode()
        sig = _b64decode(encoded, "envelope signature (inner base64)")
        verifier = _field(entry, "publicKey")
        key = _verifier_key(verifier)
        try:
            key.verify(sig, _pae(payload_type, payload), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as exc:
            raise HttpError(400, "a DSSE signature does not verify with its public key") from exc
        recorded.append({"publicKey": verifier, "sig": _field(entry, "sig")})
    stored = {"payloadType": payload_type, "signatures": recorded}
    return {
        "content": {
            "envelope": stored,
            "hash": {
                "algorithm": "sha256",
                "value": hashlib.sha256(canonical_json(envelope)).hexdigest(),
            },
            "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
        }
    }


_KINDS: dict[tuple[str, str], Callable[[Any], dict[str, Any]]] = {
    ("hashedrekord", API_VERSION): _hashedrekord,
    ("dsse", API_VERSION): _dsse,
    ("intoto", "0.0.2"): _intoto,
}


def canonical_body(proposed: Any) -> bytes:
    """Validate a proposed entry and return the canonical body the log will store."""
    kind = _field(proposed, "kind")
    api_version = _field(proposed, "apiVersion")
    if (kind, api_version) not in _KINDS:
        raise HttpError(400, f"unsupported entry kind {kind!r} version {api_version!r}")
    spec = _KINDS[kind, api_version](_field(proposed, "spec"))
    return canonical_json({"apiVersion": api_version, "kind": kind, "spec": spec})
