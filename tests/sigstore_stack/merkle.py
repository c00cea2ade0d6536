"""RFC 6962 Merkle tree hashing, inclusion proofs and proof verification.

The log needs to produce proofs; the verifier half (RFC 9162 section 2.1.3.2) lets tests check
those proofs without trusting sigstore-python's own implementation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


class InclusionProofError(ValueError):
    """An inclusion proof does not lead to the expected root."""


def leaf_hash(data: bytes) -> bytes:
    """Hash a log entry as a leaf: SHA-256(0x00 || data)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash two subtree roots: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(size: int) -> int:
    """Largest power of two strictly smaller than `size` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """Merkle Tree Hash (RFC 6962 2.1) over already leaf-hashed entries."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(root_hash(leaves[:k]), root_hash(leaves[k:]))


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Audit path PATH(index, leaves) of RFC 6962 2.1.1, ordered from the leaf upwards."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf index {index} outside tree of size {len(leaves)}")
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*inclusion_proof(index, leaves[:k]), root_hash(leaves[k:])]
    return [*inclusion_proof(index - k, leaves[k:]), root_hash(leaves[:k])]


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """Recompute the tree root from a leaf hash and its audit path (RFC 9162 2.1.3.2)."""
    if not 0 <= index < size:
        raise InclusionProofError(f"leaf index {index} outside tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise InclusionProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InclusionProofError("inclusion proof is too short")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes
) -> None:
    """Raise `InclusionProofError` unless the proof places `leaf` under `expected_root`."""
    if root_from_inclusion_proof(index, size, leaf, proof) != expected_root:
        raise InclusionProofError("inclusion proof does not lead to the expected root")
