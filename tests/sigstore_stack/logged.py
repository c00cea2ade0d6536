"""Log a key-signed bundle's DSSE envelope in a local `TransparencyLog` and put the entry in
the bundle (what `cosign attest-blob --key` and managed-key signers produce).

`bundle_entry` turns a Rekor v1 API response into the bundle's protobuf-JSON
`TransparencyLogEntry`, for every kind (sigstore-python's own converter accepts only
hashedrekord and dsse).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.sigstore_stack.keys import public_pem
from tests.sigstore_stack.rekor import TransparencyLog


def _b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def bundle_entry(response: dict[str, Any]) -> dict[str, Any]:
    """The `verificationMaterial.tlogEntries[]` item for a one-entry v1 response."""
    ((_, entry),) = response.items()
    body = json.loads(base64.b64decode(entry["body"]))
    proof = entry["verification"]["inclusionProof"]
    return {
        "logIndex": str(entry["logIndex"]),
        "logId": {"keyId": _b64(bytes.fromhex(entry["logID"]))},
        "kindVersion": {"kind": body["kind"], "version": body["apiVersion"]},
        "integratedTime": str(entry["integratedTime"]),
        "inclusionPromise": {"signedEntryTimestamp": entry["verification"]["signedEntryTimestamp"]},
        "inclusionProof": {
            "logIndex": str(proof["logIndex"]),
            "rootHash": _b64(bytes.fromhex(proof["rootHash"])),
            "treeSize": str(proof["treeSize"]),
            "hashes": [_b64(bytes.fromhex(h)) for h in proof["hashes"]],
            "checkpoint": {"envelope": proof["checkpoint"]},
        },
        "canonicalizedBody": entry["body"],
    }


def proposed_entry(envelope: dict[str, Any], public_key: Any, kind: str) -> dict[str, Any]:
    """What a client submits for `envelope` (a bundle's `dsseEnvelope`): intoto or dsse."""
    verifier = _b64(public_pem(public_key))
    if kind == "intoto":
        signatures = [
            {"sig": _b64(s["sig"]), "publicKey": verifier} for s in envelope["signatures"]
        ]
        content = {"envelope": {**envelope, "signatures": signatures}}
        return {"kind": "intoto", "apiVersion": "0.0.2", "spec": {"content": content}}
    proposed = {"envelope": json.dumps(envelope), "verifiers": [verifier]}
    return {"kind": "dsse", "apiVersion": "0.0.1", "spec": {"proposedContent": proposed}}


def log_envelope(
    log: TransparencyLog, bundle: dict[str, Any], public_key: Any, kind: str = "intoto"
) -> dict[str, Any]:
    """Append the bundle's envelope to `log`; return the bundle entry (proof at that size)."""
    return bundle_entry(log.append(proposed_entry(bundle["dsseEnvelope"], public_key, kind)))


def keyless_intoto_bundle(stack: Any, envelope_of: Any, identity: str | None = None) -> dict:
    """A keyless bundle as `cosign attest-blob` writes it: a Fulcio certificate from the
    local CA and an `intoto` 0.0.2 entry in the local log (whose key the trusted root holds).

    `envelope_of(private_key)` returns the `dsseEnvelope` JSON signed with the ephemeral key.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from tests.sigstore_stack.fulcio import CERT_LIFETIME
    from tests.sigstore_stack.principals import principal_from_claims
    from tests.sigstore_stack.tokens import DEFAULT_EMAIL

    token = stack.mint_token(identity or DEFAULT_EMAIL)
    principal = principal_from_claims(stack.material.token_issuer.verify(token))
    private_key = ec.generate_private_key(ec.SECP256R1())
    leaf = stack.material.ca.issue_leaf(
        public_key=private_key.public_key(),
        san=principal.san,
        extensions=principal.extensions,
        ct_log=stack.material.ct_log,
        lifetime=CERT_LIFETIME,
    )
    envelope = envelope_of(private_key)
    pem = leaf.public_bytes(serialization.Encoding.PEM)
    signatures = [{"sig": _b64(s["sig"]), "publicKey": _b64(pem)} for s in envelope["signatures"]]
    proposed = {
        "kind": "intoto",
        "apiVersion": "0.0.2",
        "spec": {"content": {"envelope": {**envelope, "signatures": signatures}}},
    }
    return {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": _b64(leaf.public_bytes(serialization.Encoding.DER))},
            "tlogEntries": [bundle_entry(stack.log.append(proposed))],
        },
        "dsseEnvelope": envelope,
    }
