"""AuditPathBuilder: a root and one audit path from a stream, as the list functions give."""

from __future__ import annotations

import hashlib

import pytest

from mbom.hashing.merkle import (
    AuditPathBuilder,
    inclusion_proof,
    root_from_leaves,
    root_from_proof,
)


def _leaves(count: int) -> list[bytes]:
    return [hashlib.sha256(b"leaf %d" % i).digest() for i in range(count)]


@pytest.mark.parametrize("count", [*range(1, 70), 127, 128, 129, 1000])
def test_every_index_matches_the_in_memory_proof(count: int) -> None:
    leaves = _leaves(count)
    root = root_from_leaves("sha256", leaves)
    indexes = range(count) if count < 200 else (0, 1, 511, 512, 998, 999)
    for index in indexes:
        builder = AuditPathBuilder("sha256")
        for position, leaf in enumerate(leaves):
            builder.add(leaf, target=position == index)
        proof = builder.proof()
        assert proof == inclusion_proof("sha256", leaves, index), (count, index)
        assert builder.root() == root and len(builder) == count
        assert root_from_proof("sha256", leaves[index], proof) == root


def test_one_target_per_pass_and_one_is_needed() -> None:
    builder = AuditPathBuilder("sha256")
    builder.add(b"\0" * 32)
    with pytest.raises(ValueError, match="no target"):
        builder.proof()
    builder.add(b"\1" * 32, target=True)
    with pytest.raises(ValueError, match="only one leaf"):
        builder.add(b"\2" * 32, target=True)


def test_memory_is_logarithmic() -> None:
    """What the builder holds after 262,144 leaves: a few dozen hashes, not the leaves."""
    builder = AuditPathBuilder("sha256")
    leaf = hashlib.sha256(b"x").digest()
    for position in range(1 << 18):
        builder.add(leaf, target=position == 12345)
    held = len(builder._left) + len(builder._right) + len(builder._all.peaks())
    assert held <= 3 * 19
    assert len(builder.proof().hashes) == 18
