"""Signed checkpoints in the signed-note format Rekor v1 returns and sigstore-python verifies.

sigstore-python matches a signature line by its 4-byte key hint against the first four bytes of
the entry's log ID (SHA-256 of the log key's DER SubjectPublicKeyInfo), so that is the hint used.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

_EM_DASH = "\u2014"


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    """The note text: origin, tree size, base64 root hash, each on its own line."""
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def sign_checkpoint(
    *,
    origin: str,
    signer_name: str,
    size: int,
    root: bytes,
    key: ec.EllipticCurvePrivateKey,
    log_id: bytes,
) -> str:
    """Return the full signed note: body, blank line, one em-dash signature line."""
    body = checkpoint_body(origin, size, root)
    signature = key.sign(body.encode(), ec.ECDSA(hashes.SHA256()))
    blob = base64.b64encode(log_id[:4] + signature).decode()
    return f"{body}\n{_EM_DASH} {signer_name} {blob}\n"
