"""Checkpoints of the tamper-evident log: signed RFC 6962 tree heads over entry hashes.

The tree's leaves are the entries' hashes in index order, each hashed as an RFC 6962 leaf
(``SHA-256(0x00 || hash bytes)``); inner nodes and the root are :mod:`mbom.hashing.merkle`'s.
The signature covers the RFC 8785 canonical JSON of ``{"type", "treeSize", "root"}`` and is
made with the key's usual scheme (ECDSA P-256/P-384 with SHA-256/384, Ed25519, RSA-PSS).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from mbom.canonical import canonical_json
from mbom.hashing.merkle import LEAF_PREFIX, root_from_leaves

CHECKPOINT_TYPE = "https://mbom.dev/log-checkpoint/v1"
CHECKPOINT_KEYS = frozenset(("type", "algorithm", "treeSize", "root", "keyHint", "signature"))


def tree_root(hashes: Sequence[str]) -> str:
    """Hex RFC 6962 Merkle tree hash over entry hashes (hex), in index order."""
    return root_from_leaves("sha256", [leaf(h) for h in hashes]).hex()


def signed_message(tree_size: int, root: str) -> bytes:
    """The bytes a checkpoint signature covers."""
    return canonical_json({"type": CHECKPOINT_TYPE, "treeSize": tree_size, "root": root})


def sign_tree_head(hashes: Sequence[str], key: Any) -> dict[str, Any]:
    """The event of a checkpoint entry over ``hashes`` (every entry so far), signed by ``key``."""
    return sign_root(len(hashes), tree_root(hashes), key)


def sign_root(size: int, root: str, key: Any) -> dict[str, Any]:
    """The event of a checkpoint over ``size`` entries whose tree root is ``root``."""
    from mbom.attest._internal.algorithms import sign_bytes

    signature = sign_bytes(key, signed_message(size, root))
    return {
        "type": CHECKPOINT_TYPE,
        "algorithm": "sha256",
        "treeSize": size,
        "root": root,
        "keyHint": key.hint,
        "signature": base64.b64encode(signature).decode(),
    }


def _well_formed(event: Mapping[str, Any]) -> bool:
    """The members of a tree head, each of its type (as the log-entry schema says)."""
    return (
        set(event) == CHECKPOINT_KEYS
        and event["type"] == CHECKPOINT_TYPE
        and event["algorithm"] == "sha256"
        and type(event["treeSize"]) is int
        and isinstance(event["keyHint"], str)
        and isinstance(event["signature"], str)
    )


def leaf(entry_hash: str) -> bytes:
    """The RFC 6962 leaf of one entry hash (hex)."""
    return hashlib.sha256(LEAF_PREFIX + bytes.fromhex(entry_hash)).digest()


def tree_head_problem(
    event: Mapping[str, Any],
    hashes: Sequence[str],
    public_keys: Sequence[Any],
    root: str | None = None,
) -> str | None:
    """Why the checkpoint ``event`` over ``hashes`` does not hold, or None when it does (its
    signature checked when ``public_keys`` are given, else only its tree head). ``root``:
    the tree root over ``hashes`` when the caller keeps it (a log's walk does, in O(log n)
    per checkpoint, so verifying a journal sealed at every entry stays linear)."""
    if not _well_formed(event):
        return "checkpoint is malformed"
    if event["treeSize"] != len(hashes):
        return (
            f"checkpoint covers {event['treeSize']} entries but {len(hashes)} precede it: "
            "entries were deleted or inserted before it"
        )
    if event["root"] != (root if root is not None else tree_root(hashes)):
        return (
            "checkpoint tree head does not match the entries before it: an earlier entry was "
            "edited, replaced or reordered"
        )
    if not public_keys:
        return None
    from mbom.attest._internal.algorithms import verify_bytes
    from mbom.attest.keys import key_hint

    key = next((k for k in public_keys if key_hint(k) == event["keyHint"]), None)
    if key is None:
        return f"checkpoint is signed by key {event['keyHint']}, not by a key given"
    try:
        signature = base64.b64decode(event["signature"], validate=True)
    except (binascii.Error, ValueError):
        return "checkpoint signature is not base64"
    if not verify_bytes(key, signature, signed_message(len(hashes), event["root"])):
        return "checkpoint signature does not verify"
    return None
