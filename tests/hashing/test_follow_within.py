"""``follow_symlinks_within``: links into an enclosing folder (a Hugging Face cache) are hashed
as the files they point to, and nothing else is followed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mbom.errors import SymlinkEscapeError
from mbom.hashing import hash_tree


def hf_layout(tmp_path: Path) -> tuple[Path, Path]:
    """``repo/blobs/<sha256>`` and ``repo/snapshots/REV/{w.bin,sub/c.json}`` linking to them."""
    repo = tmp_path / "models--org--name"
    blobs = repo / "blobs"
    snapshot = repo / "snapshots" / "abc123"
    (snapshot / "sub").mkdir(parents=True)
    blobs.mkdir()
    for rel, content in (("w.bin", b"weights" * 100), ("sub/c.json", b"{}")):
        oid = hashlib.sha256(content).hexdigest()
        (blobs / oid).write_bytes(content)
        depth = "../" * (rel.count("/") + 2)
        (snapshot / rel).symlink_to(f"{depth}blobs/{oid}")
    return repo, snapshot


def test_links_inside_outer_root_are_hashed_as_files(tmp_path: Path) -> None:
    repo, snapshot = hf_layout(tmp_path)
    plain = tmp_path / "plain"
    (plain / "sub").mkdir(parents=True)
    (plain / "w.bin").write_bytes(b"weights" * 100)
    (plain / "sub" / "c.json").write_bytes(b"{}")
    followed = hash_tree(snapshot, follow_symlinks_within=repo)
    assert [entry.symlink for entry in followed.files] == [None, None]
    assert followed.root() == hash_tree(plain).root()  # same as a plain download
    assert followed.files[1].digests["sha256"] == hashlib.sha256(b"weights" * 100).hexdigest()


def test_without_the_option_snapshot_links_are_refused(tmp_path: Path) -> None:
    _, snapshot = hf_layout(tmp_path)
    with pytest.raises(SymlinkEscapeError):
        hash_tree(snapshot)


def test_links_leaving_the_outer_root_are_still_refused(tmp_path: Path) -> None:
    repo, snapshot = hf_layout(tmp_path)
    (tmp_path / "secret").write_text("x")
    (snapshot / "escape").symlink_to(tmp_path / "secret")
    with pytest.raises(SymlinkEscapeError):
        hash_tree(snapshot, follow_symlinks_within=repo)


def test_links_to_directories_are_not_followed(tmp_path: Path) -> None:
    repo, snapshot = hf_layout(tmp_path)
    (snapshot / "alias").symlink_to("sub")  # inside the root: recorded as a link
    tree = hash_tree(snapshot, follow_symlinks_within=repo)
    assert {entry.path: entry.symlink for entry in tree.files}["alias"] == "sub"
