"""The directory digest: one Merkle root over a tree's files, and inclusion proofs into it.

The root binds, for every file, its relative POSIX path, its size and its content digest, so a
renamed, resized, added, removed or changed file changes the root, and the order in which the
filesystem lists files does not. The tree is the RFC 6962 (Certificate Transparency) Merkle
tree over leaves sorted by the UTF-8 bytes of their paths, which gives logarithmic inclusion
proofs ("this file, with this content, is in the dataset whose root was signed").

The exact encoding is specified in ``docs/directory-digest.md`` so others can recompute it::

    leaf  = H(0x00 || kind || u64(len(path)) || path || u64(size) || digest)
    node  = H(0x01 || left || right)
    root  = MTH(sorted leaves)      (RFC 6962 section 2.1; MTH of no leaves = H(""))

``kind`` is ``b"f"`` for a regular file and ``b"l"`` for a symbolic link (whose digest is
H(link target) and whose size is the target's length in bytes); integers are big-endian.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from mbom.hashing._algorithms import digest_bytes, one_shot

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
KIND_FILE = b"f"
KIND_SYMLINK = b"l"

_U64 = struct.Struct(">Q")


def leaf_hash(
    algorithm: str, path: str, size: int, digest: bytes, *, symlink: bool = False
) -> bytes:
    """Hash one tree entry into its Merkle leaf."""
    return one_shot(algorithm)(leaf_preimage(path, size, digest, symlink=symlink)).digest()


def leaf_preimage(path: str, size: int, digest: bytes, *, symlink: bool = False) -> bytes:
    """The bytes a leaf hashes: 0x00 || kind || u64(len(path)) || path || u64(size) || digest."""
    encoded = path.encode("utf-8")
    kind = KIND_SYMLINK if symlink else KIND_FILE
    return b"".join((LEAF_PREFIX, kind, _U64.pack(len(encoded)), encoded, _U64.pack(size), digest))


def node_hash(algorithm: str, left: bytes, right: bytes) -> bytes:
    """Hash two child nodes into their parent."""
    return digest_bytes(algorithm, NODE_PREFIX + left + right)


def _parent_level(algorithm: str, level: Sequence[bytes]) -> list[bytes]:
    """Pair neighbours into parents; a lone last node is carried up unchanged."""
    new = one_shot(algorithm)
    parents = [
        new(NODE_PREFIX + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
    ]
    if len(level) % 2:
        parents.append(level[-1])
    return parents


def root_from_leaves(algorithm: str, leaves: Sequence[bytes]) -> bytes:
    """RFC 6962 Merkle tree hash of leaf hashes already in path order.

    Computed bottom-up, which gives the same tree as RFC 6962's recursive split at the
    largest power of two below n.
    """
    if not leaves:
        return digest_bytes(algorithm, b"")
    level: Sequence[bytes] = leaves
    while len(level) > 1:
        level = _parent_level(algorithm, level)
    return level[0]


class RootBuilder:
    """The same root as :func:`root_from_leaves`, from leaves added one at a time.

    Holds one complete subtree per set bit of the leaf count (a binary counter: at most 64
    hashes whatever the count), so a tree of any size is rooted in constant memory. Adding
    leaf n merges the equal-sized subtrees it completes; :meth:`root` folds what is left
    right to left, which is RFC 6962's split at the largest power of two below n.
    """

    __slots__ = ("_count", "_new", "_stack", "algorithm")

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        self._new = one_shot(algorithm)
        self._stack: list[bytes] = []
        self._count = 0

    def add(self, leaf: bytes) -> None:
        """Append the next leaf hash (leaves in path order)."""
        stack, new, node, count = self._stack, self._new, leaf, self._count
        while count & 1:
            node = new(NODE_PREFIX + stack.pop() + node).digest()
            count >>= 1
        stack.append(node)
        self._count += 1

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Append many leaves at once (the same state as :meth:`add` on each, faster).

        Level by level: the stack's subtree of each height (a set bit of the count) is put
        before the new nodes of that height, neighbours are paired in one comprehension, and
        an odd last node stays on the stack as that height's complete subtree.
        """
        if not leaves:
            return
        stack, new, count = self._stack, self._new, self._count
        kept: list[bytes] = []  # the new stack's subtrees, lowest height first
        level: Sequence[bytes] = leaves
        while level:
            if count & 1:
                level = [stack.pop(), *level]
            if len(level) % 2:
                kept.append(level[-1])
            level = [
                new(NODE_PREFIX + level[i] + level[i + 1]).digest()
                for i in range(0, len(level) - 1, 2)
            ]
            count >>= 1
        # Higher set bits of the old count not reached above keep their subtrees (at the
        # bottom of the stack, already in place).
        stack.extend(reversed(kept))
        self._count += len(leaves)

    def __len__(self) -> int:
        return self._count

    def copy(self) -> RootBuilder:
        """An independent builder in the same state."""
        twin = RootBuilder(self.algorithm)
        twin._stack, twin._count = list(self._stack), self._count
        return twin

    def peaks(self) -> tuple[bytes, ...]:
        """The complete subtrees held, largest (leftmost) first: one per set bit of the count."""
        return tuple(self._stack)

    def root(self) -> bytes:
        """The Merkle tree hash of every leaf added so far (``H("")`` for none)."""
        if not self._stack:
            return digest_bytes(self.algorithm, b"")
        node = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            node = self._new(NODE_PREFIX + left + node).digest()
        return node


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """Audit path for the leaf at ``index`` in a tree of ``tree_size`` leaves (RFC 6962 2.1.1)."""

    index: int
    tree_size: int
    hashes: tuple[bytes, ...]


def inclusion_proof(algorithm: str, leaves: Sequence[bytes], index: int) -> InclusionProof:
    """Build the audit path for ``leaves[index]``: one sibling hash per level, bottom-up."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf index {index} outside a tree of {len(leaves)} leaves")
    path: list[bytes] = []
    level = list(leaves)
    position = index
    while len(level) > 1:
        sibling = position ^ 1
        if sibling < len(level):
            path.append(level[sibling])
        level = _parent_level(algorithm, level)
        position //= 2
    return InclusionProof(index=index, tree_size=len(leaves), hashes=tuple(path))


class AuditPathBuilder:
    """The root and one leaf's audit path from leaves added one at a time, in O(log n) memory.

    Same result as :func:`root_from_leaves` and :func:`inclusion_proof` over the whole list,
    for a tree too large to hold: pass ``target=True`` with the one leaf to prove. The leaves
    before it are summed up by the root builder's complete subtrees (the left siblings, one
    per set bit of the index); the leaves after it are hashed in consecutive complete blocks,
    one per clear bit of the index from the lowest up (the right siblings), the last block
    possibly partial (RFC 6962's ragged right edge).
    """

    __slots__ = ("_all", "_chunk", "_index", "_left", "_level", "_levels", "_right", "algorithm")

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        self._all = RootBuilder(algorithm)
        self._index: int | None = None
        self._left: dict[int, bytes] = {}
        self._right: dict[int, bytes] = {}
        self._chunk: RootBuilder | None = None
        self._level = 0
        self._levels: Iterator[int] = iter(())

    def add(self, leaf: bytes, *, target: bool = False) -> None:
        """Append the next leaf hash; ``target`` marks the leaf whose path is wanted."""
        if target:
            if self._index is not None:
                raise ValueError("only one leaf can be proved per pass")
            index = self._index = len(self._all)
            bits = [h for h in range(64) if index >> h & 1]
            self._left = dict(zip(reversed(bits), self._all.peaks()))
            self._levels = (h for h in range(64) if not index >> h & 1)
            self._next_chunk()
        elif self._chunk is not None:
            self._chunk.add(leaf)
            if len(self._chunk) == 1 << self._level:
                self._right[self._level] = self._chunk.root()
                self._next_chunk()
        self._all.add(leaf)

    def _next_chunk(self) -> None:
        level = next(self._levels, None)
        self._chunk = None if level is None else RootBuilder(self.algorithm)
        self._level = level if level is not None else 0

    def __len__(self) -> int:
        return len(self._all)

    def root(self) -> bytes:
        """The Merkle tree hash of every leaf added so far."""
        return self._all.root()

    @property
    def index(self) -> int | None:
        """The target's index, once it has been added."""
        return self._index

    def proof(self) -> InclusionProof:
        """The target's audit path in the tree of every leaf added so far."""
        index = self._index
        if index is None:
            raise ValueError("no target leaf was added")
        right = dict(self._right)
        if self._chunk is not None and len(self._chunk):
            right[self._level] = self._chunk.root()  # the ragged right edge
        path = [
            self._left[h] if index >> h & 1 else right[h]
            for h in range(64)
            if index >> h & 1 or h in right
        ]
        return InclusionProof(index=index, tree_size=len(self._all), hashes=tuple(path))


def root_from_proof(algorithm: str, leaf: bytes, proof: InclusionProof) -> bytes:
    """Recompute the root from a leaf and its audit path (RFC 9162 section 2.1.3.2).

    The caller compares the result with the trusted root; a wrong leaf, index, size or path
    gives a different root. Raises ``ValueError`` when the proof has the wrong length.
    """
    if not 0 <= proof.index < proof.tree_size:
        raise ValueError("inclusion proof index outside the tree")
    fn, sn = proof.index, proof.tree_size - 1
    current = leaf
    for sibling in proof.hashes:
        if sn == 0:
            raise ValueError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            current = node_hash(algorithm, sibling, current)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            current = node_hash(algorithm, current, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("inclusion proof is shorter than the tree is deep")
    return current
