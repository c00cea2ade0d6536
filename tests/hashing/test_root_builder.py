"""The streaming Merkle root (RootBuilder) equals the list-based RFC 6962 root."""

from __future__ import annotations

import hashlib
import random

import pytest

from mbom.hashing.merkle import RootBuilder, root_from_leaves


def _leaves(n: int, algorithm: str) -> list[bytes]:
    size = 64 if algorithm == "sha512" else 32
    return [hashlib.sha512(b"%d" % i).digest()[:size] for i in range(n)]


@pytest.mark.parametrize("algorithm", ["sha256", "sha512", "blake3"])
def test_every_count_up_to_300(algorithm: str) -> None:
    leaves = _leaves(300, algorithm)
    builder = RootBuilder(algorithm)
    assert builder.root() == root_from_leaves(algorithm, [])
    for n, leaf in enumerate(leaves, start=1):
        builder.add(leaf)
        assert len(builder) == n
        assert builder.root() == root_from_leaves(algorithm, leaves[:n]), n


def test_random_counts() -> None:
    rng = random.Random(11)
    for n in [rng.randrange(300, 5000) for _ in range(5)] + [1024, 1025, 4095, 4096, 4097]:
        leaves = [rng.randbytes(32) for _ in range(n)]
        builder = RootBuilder("sha256")
        for leaf in leaves:
            builder.add(leaf)
        assert builder.root() == root_from_leaves("sha256", leaves), n


def test_root_does_not_consume_the_state() -> None:
    """root() may be asked mid-way; adding goes on from the same state."""
    leaves = _leaves(10, "sha256")
    builder = RootBuilder("sha256")
    for leaf in leaves[:5]:
        builder.add(leaf)
    builder.root()
    for leaf in leaves[5:]:
        builder.add(leaf)
    assert builder.root() == root_from_leaves("sha256", leaves)


@pytest.mark.parametrize("algorithm", ["sha256", "blake3"])
def test_extend_in_blocks_equals_adding_one_by_one(algorithm: str) -> None:
    """extend() (blocks of any length, mixed with add) keeps the binary-counter state exact."""
    rng = random.Random(7)
    for n in [0, 1, 2, 3, 7, 8, 9, 1023, 1024, 1025, *(rng.randrange(1, 3000) for _ in range(20))]:
        leaves = _leaves(n, algorithm)
        builder, done = RootBuilder(algorithm), 0
        while done < n:
            step = rng.randrange(1, 70)
            if rng.random() < 0.8:
                builder.extend(leaves[done : done + step])
            else:
                for leaf in leaves[done : done + step]:
                    builder.add(leaf)
            done += step
            assert len(builder) == min(done, n)
        assert builder.root() == root_from_leaves(algorithm, leaves), n
