"""RFC 6962 inclusion proofs from the stack's log, checked without trusting its own code paths.

Roots are compared against a from-the-definition reference, against the Certificate
Transparency reference test vectors, and against sigstore-python's independent proof chaining.
"""

from __future__ import annotations

import hashlib

import pytest
from sigstore._internal import merkle as sigstore_merkle

from tests.sigstore_stack import merkle

# The 8 leaves and per-size roots of the certificate-transparency reference test vectors.
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
SIZES = range(1, 18)


def _reference_mth(entries: list[bytes]) -> bytes:
    """MTH straight from RFC 6962 section 2.1, over raw entries."""
    if len(entries) == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = 1
    while k * 2 < len(entries):
        k *= 2
    left, right = _reference_mth(entries[:k]), _reference_mth(entries[k:])
    return hashlib.sha256(b"\x01" + left + right).digest()


def _entries(size: int) -> list[bytes]:
    return [f"entry-{i}".encode() for i in range(size)]


def _sigstore_root(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    inner, border = sigstore_merkle._decomp_inclusion_proof(index, size)
    assert len(proof) == inner + border
    partial = sigstore_merkle._chain_inner(leaf, proof[:inner], index)
    return sigstore_merkle._chain_border_right(partial, proof[inner:])


@pytest.mark.parametrize("size", range(1, len(CT_LEAVES) + 1))
def test_root_matches_ct_reference_vectors(size: int) -> None:
    leaves = [merkle.leaf_hash(e) for e in CT_LEAVES[:size]]
    assert merkle.root_hash(leaves).hex() == CT_ROOTS[size - 1]


@pytest.mark.parametrize("size", SIZES)
def test_every_inclusion_proof_leads_to_the_root(size: int) -> None:
    entries = _entries(size)
    leaves = [merkle.leaf_hash(e) for e in entries]
    expected = _reference_mth(entries)
    assert merkle.root_hash(leaves) == expected
    for index in range(size):
        proof = merkle.inclusion_proof(index, leaves)
        assert merkle.root_from_inclusion_proof(index, size, leaves[index], proof) == expected
        assert _sigstore_root(index, size, leaves[index], proof) == expected


@pytest.mark.parametrize("size", SIZES)
def test_tampered_proofs_are_rejected(size: int) -> None:
    leaves = [merkle.leaf_hash(e) for e in _entries(size)]
    root = merkle.root_hash(leaves)
    for index in range(size):
        proof = merkle.inclusion_proof(index, leaves)
        for position in range(len(proof)):
            bad = list(proof)
            bad[position] = bytes([bad[position][0] ^ 1]) + bad[position][1:]
            with pytest.raises(merkle.InclusionProofError):
                merkle.verify_inclusion(index, size, leaves[index], bad, root)
        with pytest.raises(merkle.InclusionProofError):
            merkle.verify_inclusion(index, size, merkle.leaf_hash(b"other"), proof, root)
        with pytest.raises(merkle.InclusionProofError):
            merkle.verify_inclusion(index, size, leaves[index], [*proof, root], root)
        if proof:
            with pytest.raises(merkle.InclusionProofError):
                merkle.verify_inclusion(index, size, leaves[index], proof[:-1], root)
        if size > 1:
            other = (index + 1) % size
            with pytest.raises(merkle.InclusionProofError):
                merkle.verify_inclusion(other, size, leaves[index], proof, root)


def test_index_outside_tree_is_rejected() -> None:
    leaves = [merkle.leaf_hash(e) for e in _entries(3)]
    with pytest.raises(IndexError):
        merkle.inclusion_proof(3, leaves)
    with pytest.raises(merkle.InclusionProofError):
        merkle.root_from_inclusion_proof(3, 3, leaves[0], [])
