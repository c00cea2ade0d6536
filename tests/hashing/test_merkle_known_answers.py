"""The Merkle tree against an independent implementation of docs/directory-digest.md and RFC 6962.

Everything expected here is computed in this file with hashlib and struct only, from the
specification's text: the leaf and node encodings, the recursive Merkle Tree Hash (split at
the largest power of two below n) and the recursive audit path PATH(m, D[n]) of RFC 6962
section 2.1.1. mbom's code computes bottom-up; these tests are what says both agree, and that
each byte of the encoding (domain prefixes, kind, lengths, sizes) is bound.
"""

from __future__ import annotations

import contextlib
import hashlib
import struct

import pytest

from mbom.hashing import FileDigest, merkle_root
from mbom.hashing.merkle import (
    InclusionProof,
    inclusion_proof,
    leaf_hash,
    leaf_preimage,
    node_hash,
    root_from_leaves,
    root_from_proof,
)

ALGORITHMS = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}


def spec_leaf(h, path: str, size: int, digest: bytes, kind: bytes = b"f") -> bytes:
    name = path.encode("utf-8")
    return h(
        b"\x00" + kind + struct.pack(">Q", len(name)) + name + struct.pack(">Q", size) + digest
    ).digest()


def spec_node(h, left: bytes, right: bytes) -> bytes:
    return h(b"\x01" + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def spec_mth(h, leaves: list[bytes]) -> bytes:
    """RFC 6962 2.1: MTH({}) = H(""), MTH({d0}) = d0's leaf, else split at k."""
    if not leaves:
        return h(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = largest_power_of_two_below(len(leaves))
    return spec_node(h, spec_mth(h, leaves[:k]), spec_mth(h, leaves[k:]))


def spec_path(h, m: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 6962 2.1.1: the audit path of leaf m, deepest sibling first."""
    if len(leaves) == 1:
        return []
    k = largest_power_of_two_below(len(leaves))
    if m < k:
        return [*spec_path(h, m, leaves[:k]), spec_mth(h, leaves[k:])]
    return [*spec_path(h, m - k, leaves[k:]), spec_mth(h, leaves[:k])]


def sample_leaves(n: int) -> list[bytes]:
    """n distinct, deterministic leaves (path f<i>, size i, digest of the index)."""
    return [
        spec_leaf(hashlib.sha256, f"f{i}", i, hashlib.sha256(str(i).encode()).digest())
        for i in range(n)
    ]


def test_leaf_preimage_is_the_documented_byte_string() -> None:
    digest = bytes(range(32))
    assert leaf_preimage("a/b.bin", 5, digest) == (
        b"\x00" + b"f" + (7).to_bytes(8, "big") + b"a/b.bin" + (5).to_bytes(8, "big") + digest
    )
    assert leaf_preimage("a/b.bin", 5, digest, symlink=True)[:2] == b"\x00l"


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_leaf_hash_defaults_to_a_regular_file(algorithm: str) -> None:
    h = ALGORITHMS[algorithm]
    digest = h(b"content").digest()
    assert leaf_hash(algorithm, "x.bin", 7, digest) == spec_leaf(h, "x.bin", 7, digest)
    link = leaf_hash(algorithm, "x.bin", 7, digest, symlink=True)
    assert link == spec_leaf(h, "x.bin", 7, digest, kind=b"l")


def test_unicode_path_length_is_counted_in_utf8_bytes() -> None:
    # "é" is one character but two UTF-8 bytes, "😀" four: the length field counts bytes.
    for path in ("é.bin", "modèle/😀.safetensors", "日本語/重み.bin"):
        digest = hashlib.sha256(path.encode()).digest()
        expected = spec_leaf(hashlib.sha256, path, 1, digest)
        assert leaf_hash("sha256", path, 1, digest) == expected
        assert leaf_preimage(path, 1, digest)[2:10] == len(path.encode()).to_bytes(8, "big")


@pytest.mark.parametrize("size", [0, 1, 255, 2**32, 2**40 + 3, 2**64 - 1])
def test_size_is_a_big_endian_u64(size: int) -> None:
    digest = hashlib.sha256(b"").digest()
    assert leaf_hash("sha256", "f", size, digest) == spec_leaf(hashlib.sha256, "f", size, digest)


def test_sizes_that_differ_give_different_leaves() -> None:
    digest = hashlib.sha256(b"").digest()
    leaves = {leaf_hash("sha256", "f", size, digest) for size in (0, 1, 2**32, 2**40)}
    assert len(leaves) == 4


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_node_hash_is_prefixed_with_0x01(algorithm: str) -> None:
    h = ALGORITHMS[algorithm]
    left, right = h(b"l").digest(), h(b"r").digest()
    assert node_hash(algorithm, left, right) == h(b"\x01" + left + right).digest()
    assert node_hash(algorithm, left, right) != h(b"\x00" + left + right).digest()
    assert node_hash(algorithm, left, right) != node_hash(algorithm, right, left)


def test_empty_tree_is_the_hash_of_nothing() -> None:
    assert root_from_leaves("sha256", []) == hashlib.sha256(b"").digest()
    assert root_from_leaves("sha512", []) == hashlib.sha512(b"").digest()
    assert merkle_root([]) == hashlib.sha256(b"").hexdigest()


def test_one_leaf_is_its_own_root() -> None:
    leaf = sample_leaves(1)[0]
    assert root_from_leaves("sha256", [leaf]) == leaf


@pytest.mark.parametrize("n", range(2, 34))
def test_root_matches_rfc6962_recursive_definition(n: int) -> None:
    leaves = sample_leaves(n)
    assert root_from_leaves("sha256", leaves) == spec_mth(hashlib.sha256, leaves)


def test_sha512_tree_hashes_its_nodes_with_sha512() -> None:
    h = hashlib.sha512
    leaves = [spec_leaf(h, f"f{i}", i, h(bytes([i])).digest()) for i in range(5)]
    assert root_from_leaves("sha512", leaves) == spec_mth(h, leaves)


def test_merkle_root_sorts_by_utf8_path_bytes() -> None:
    contents = {"b": b"2", "a/z": b"1", "a": b"0", "é": b"3", "Z": b"4", "a b": b"5"}
    files = [
        FileDigest(path, len(data), {"sha256": hashlib.sha256(data).hexdigest()})
        for path, data in contents.items()
    ]
    ordered = sorted(contents, key=lambda p: p.encode("utf-8"))
    leaves = [
        spec_leaf(hashlib.sha256, p, len(contents[p]), hashlib.sha256(contents[p]).digest())
        for p in ordered
    ]
    expected = spec_mth(hashlib.sha256, leaves).hex()
    assert merkle_root(files) == expected
    assert merkle_root(list(reversed(files))) == expected


def test_renaming_one_file_changes_the_root() -> None:
    digest = {"sha256": hashlib.sha256(b"w").hexdigest()}
    before = merkle_root([FileDigest("w.bin", 1, digest), FileDigest("c.json", 1, digest)])
    after = merkle_root([FileDigest("v.bin", 1, digest), FileDigest("c.json", 1, digest)])
    assert before != after


def test_a_leaf_cannot_pose_as_an_inner_node() -> None:
    """Second preimage: the 65-byte node preimage hashed as a 'leaf' gives another root."""
    leaves = sample_leaves(2)
    root = root_from_leaves("sha256", leaves)
    assert root_from_leaves("sha256", [leaves[0] + leaves[1]]) != root
    assert hashlib.sha256(b"\x00" + leaves[0] + leaves[1]).digest() != root


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 33])
def test_inclusion_proof_is_the_rfc6962_audit_path(n: int) -> None:
    leaves = sample_leaves(n)
    root = spec_mth(hashlib.sha256, leaves)
    for m in range(n):
        proof = inclusion_proof("sha256", leaves, m)
        assert proof == InclusionProof(m, n, tuple(spec_path(hashlib.sha256, m, leaves)))
        assert root_from_proof("sha256", leaves[m], proof) == root


@pytest.mark.parametrize("n", [2, 3, 5, 7, 8, 13])
def test_proof_for_another_position_or_size_does_not_give_the_root(n: int) -> None:
    leaves = sample_leaves(n)
    root = root_from_leaves("sha256", leaves)
    for m in range(n):
        proof = inclusion_proof("sha256", leaves, m)
        for other in range(n):
            if other == m:
                continue
            moved = InclusionProof(other, n, proof.hashes)
            # A path of the wrong length for that position is refused outright (ValueError).
            with contextlib.suppress(ValueError):
                assert root_from_proof("sha256", leaves[m], moved) != root
        tampered = (proof.hashes[0][:-1] + bytes([proof.hashes[0][-1] ^ 1]), *proof.hashes[1:])
        assert root_from_proof("sha256", leaves[m], InclusionProof(m, n, tampered)) != root


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7])
def test_inclusion_proof_refuses_an_index_outside_the_tree(n: int) -> None:
    leaves = sample_leaves(n)
    for index in (n, n + 1, -1):
        with pytest.raises(ValueError) as raised:
            inclusion_proof("sha256", leaves, index)
        assert str(raised.value) == f"leaf index {index} outside a tree of {n} leaves"


@pytest.mark.parametrize(("index", "size"), [(3, 3), (4, 3), (-1, 3), (0, 0), (1, 1)])
def test_root_from_proof_refuses_an_index_outside_the_tree(index: int, size: int) -> None:
    proof = InclusionProof(index, size, (b"\x00" * 32,))
    with pytest.raises(ValueError) as raised:
        root_from_proof("sha256", b"\x00" * 32, proof)
    assert str(raised.value) == "inclusion proof index outside the tree"


@pytest.mark.parametrize(("n", "m"), [(1, 0), (2, 1), (3, 2), (5, 4), (8, 3), (13, 12)])
def test_root_from_proof_refuses_a_path_longer_than_the_tree(n: int, m: int) -> None:
    leaves = sample_leaves(n)
    proof = inclusion_proof("sha256", leaves, m)
    longer = InclusionProof(m, n, (*proof.hashes, b"\x00" * 32))
    with pytest.raises(ValueError) as raised:
        root_from_proof("sha256", leaves[m], longer)
    assert str(raised.value) == "inclusion proof is longer than the tree is deep"


@pytest.mark.parametrize(("n", "m"), [(2, 0), (3, 2), (4, 1), (5, 4), (8, 3), (13, 12)])
def test_root_from_proof_refuses_a_path_shorter_than_the_tree(n: int, m: int) -> None:
    leaves = sample_leaves(n)
    proof = inclusion_proof("sha256", leaves, m)
    shorter = InclusionProof(m, n, proof.hashes[:-1])
    with pytest.raises(ValueError) as raised:
        root_from_proof("sha256", leaves[m], shorter)
    assert str(raised.value) == "inclusion proof is shorter than the tree is deep"
