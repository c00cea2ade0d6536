"""The directory Merkle root binds path, size and content, and nothing else."""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path

import pytest

from mbom.hashing import FileDigest, hash_tree, merkle_root
from mbom.hashing.merkle import inclusion_proof, leaf_hash, root_from_leaves, root_from_proof


def make_tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


BASE = {"config.json": b"{}", "weights/a.bin": b"A" * 100, "weights/b.bin": b"B" * 100}


def root_of(tmp_path: Path, files: dict[str, bytes], name: str = "t") -> str:
    tree_dir = tmp_path / name
    tree_dir.mkdir()
    return hash_tree(make_tree(tree_dir, files)).root()


def test_root_recomputed_from_the_documented_encoding(tmp_path: Path) -> None:
    """Independent re-implementation of docs/directory-digest.md."""

    def leaf(path: str, data: bytes) -> bytes:
        name = path.encode()
        preimage = (
            b"\x00f"
            + struct.pack(">Q", len(name))
            + name
            + struct.pack(">Q", len(data))
            + hashlib.sha256(data).digest()
        )
        return hashlib.sha256(preimage).digest()

    def node(left: bytes, right: bytes) -> bytes:
        return hashlib.sha256(b"\x01" + left + right).digest()

    leaves = [leaf(path, BASE[path]) for path in sorted(BASE)]
    expected = node(node(leaves[0], leaves[1]), leaves[2]).hex()
    assert root_of(tmp_path, BASE) == expected


def test_rename_changes_root(tmp_path: Path) -> None:
    renamed = dict(BASE)
    renamed["weights/c.bin"] = renamed.pop("weights/b.bin")
    assert root_of(tmp_path, BASE, "a") != root_of(tmp_path, renamed, "b")


def test_content_change_changes_root(tmp_path: Path) -> None:
    changed = dict(BASE, **{"weights/a.bin": b"A" * 99 + b"a"})
    assert root_of(tmp_path, BASE, "a") != root_of(tmp_path, changed, "b")


def test_add_and_remove_change_root(tmp_path: Path) -> None:
    added = dict(BASE, **{"extra.txt": b""})
    removed = {k: v for k, v in BASE.items() if k != "config.json"}
    roots = {
        root_of(tmp_path, BASE, "a"),
        root_of(tmp_path, added, "b"),
        root_of(tmp_path, removed, "c"),
    }
    assert len(roots) == 3


def test_root_independent_of_creation_order(tmp_path: Path) -> None:
    forward = root_of(tmp_path, BASE, "a")
    backward = root_of(tmp_path, dict(reversed(list(BASE.items()))), "b")
    assert forward == backward


def test_empty_file_and_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert hash_tree(tmp_path / "empty").root() == hashlib.sha256(b"").hexdigest()


def test_moving_file_between_directories_changes_root(tmp_path: Path) -> None:
    moved = {"config.json": b"{}", "weights/a.bin": b"A" * 100, "b.bin": b"B" * 100}
    assert root_of(tmp_path, BASE, "a") != root_of(tmp_path, moved, "b")


def test_file_and_symlink_with_same_bytes_differ() -> None:
    digest = {"sha256": hashlib.sha256(b"target").hexdigest()}
    as_file = merkle_root([FileDigest("x", 6, digest)])
    as_link = merkle_root([FileDigest("x", 6, digest, symlink="target")])
    assert as_file != as_link


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 17, 64, 100])
def test_inclusion_proofs_verify_and_are_logarithmic(size: int) -> None:
    leaves = [leaf_hash("sha256", f"f{i}", i, os.urandom(32)) for i in range(size)]
    root = root_from_leaves("sha256", leaves)
    for index in range(size):
        proof = inclusion_proof("sha256", leaves, index)
        assert len(proof.hashes) <= max(1, (size - 1).bit_length())
        assert root_from_proof("sha256", leaves[index], proof) == root
        if size > 1:
            assert root_from_proof("sha256", os.urandom(32), proof) != root


def test_blake3_root_uses_blake3_nodes(tmp_path: Path) -> None:
    make_tree(tmp_path, BASE)
    tree = hash_tree(tmp_path, algorithms=("sha256", "blake3"))
    assert tree.root("sha256") != tree.root("blake3")
    assert tree.root("blake3") == merkle_root(tree.files, "blake3")
