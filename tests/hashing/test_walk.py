"""What a tree digest covers: ignore rules, symbolic links, special files."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from mbom.errors import InputError, SymlinkEscapeError, UnreadableFileError
from mbom.hashing import hash_tree
from mbom.hashing._walk import stream_walk, walk_tree
from tests.hashing.test_digests import deny_reading


def paths(tree) -> list[str]:
    return [entry.path for entry in tree.files]


def test_default_ignore_set(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref")
    (tmp_path / "model.bin").write_bytes(b"m")
    (tmp_path / "bom.cdx.json").write_text("{}")
    (tmp_path / "bom.cdx.json.sigstore.json").write_text("{}")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.sigstore.json").write_text("{}")
    tree = hash_tree(tmp_path)
    assert paths(tree) == [".git/HEAD", "model.bin"]  # VCS metadata is hashed (issue #10)
    assert tree.ignored == (
        "bom.cdx.json",
        "bom.cdx.json.sigstore.json",
        "sub/x.sigstore.json",
    )


def test_mbomignore_is_honoured_with_gitignore_semantics(tmp_path: Path) -> None:
    (tmp_path / ".mbomignore").write_text("# comment\n*.log\ncheckpoints/\n!keep.log\n")
    for name in ("a.log", "keep.log", "model.bin", "checkpoints/step1/w.bin", "deep/b.log"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    tree = hash_tree(tmp_path)
    assert paths(tree) == [".mbomignore", "keep.log", "model.bin"]
    assert set(tree.ignored) == {"a.log", "checkpoints/", "deep/b.log"}


def test_ignore_can_be_disabled(tmp_path: Path) -> None:
    (tmp_path / "bom.cdx.json").write_text("{}")
    assert paths(hash_tree(tmp_path, use_ignore=False)) == ["bom.cdx.json"]


def test_symlink_leaving_root_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"secret")
    root = tmp_path / "model"
    root.mkdir()
    (root / "w.bin").symlink_to(outside)
    with pytest.raises(SymlinkEscapeError, match=r"w.bin: symbolic link .* leaves the root"):
        hash_tree(root)


def test_relative_symlink_escaping_via_dotdot_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "model"
    (root / "sub").mkdir(parents=True)
    (tmp_path / "x").write_bytes(b"x")
    (root / "sub" / "link").symlink_to("../../x")
    with pytest.raises(SymlinkEscapeError):
        hash_tree(root)


def test_symlink_inside_root_is_recorded_not_followed(tmp_path: Path) -> None:
    (tmp_path / "real.bin").write_bytes(b"weights")
    (tmp_path / "alias.bin").symlink_to("real.bin")
    tree = hash_tree(tmp_path)
    alias = next(entry for entry in tree.files if entry.path == "alias.bin")
    assert alias.symlink == "real.bin"
    assert alias.size == len("real.bin")
    assert alias.digests["sha256"] == hashlib.sha256(b"real.bin").hexdigest()


def test_replacing_file_by_symlink_changes_root(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "real.bin").write_bytes(b"w")
    (tmp_path / "a" / "copy.bin").write_bytes(b"w")
    before = hash_tree(tmp_path / "a").root()
    (tmp_path / "a" / "copy.bin").unlink()
    (tmp_path / "a" / "copy.bin").symlink_to("real.bin")
    assert hash_tree(tmp_path / "a").root() != before


def test_fifo_is_refused_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(UnreadableFileError, match="not a regular file"):
        hash_tree(tmp_path)


def test_unreadable_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "secret.bin").write_bytes(b"x")
    deny_reading(monkeypatch, tmp_path / "secret.bin")
    with pytest.raises(UnreadableFileError, match=r"secret.bin: cannot open: Permission denied"):
        hash_tree(tmp_path)


def test_walk_is_deterministic_and_sorted_by_utf8(tmp_path: Path) -> None:
    names = ["b", "a/z", "a/b", "Z", "é", "a.b", "a-b"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(name.encode())
    listed = paths(hash_tree(tmp_path))
    assert listed == sorted(names, key=lambda n: n.encode("utf-8"))


def test_default_set_is_files_only_and_never_code(tmp_path: Path) -> None:
    """Default patterns match the names pathspec would, but never a directory or an
    executable file (a directory named like a BOM could hold code)."""
    import pathspec

    from mbom.hashing._ignore import DEFAULT_IGNORE_PATTERNS

    spec = pathspec.GitIgnoreSpec.from_lines(DEFAULT_IGNORE_PATTERNS)
    names = ["bom.cdx.json", "d/bom.cdx.json", "x.cdx.json.bak", "m.sigstore.json", "sigstore.json"]
    names += ["ds.cdx.manifest.jsonl", "model.bin", ".gitignore"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    (tmp_path / "run.cdx.json").write_text("#!/bin/sh\n")
    (tmp_path / "run.cdx.json").chmod(0o755)
    (tmp_path / "pkg.cdx.json").mkdir()
    (tmp_path / "pkg.cdx.json" / "a.txt").write_text("x")
    tree = hash_tree(tmp_path)
    assert set(tree.ignored) == {name for name in names if spec.match_file(name)}
    assert {"run.cdx.json", "pkg.cdx.json/a.txt"} <= set(paths(tree))


def test_report_anomalies_lists_instead_of_raising(tmp_path: Path) -> None:
    from mbom.hashing import Anomaly

    (tmp_path / "ok.bin").write_bytes(b"ok")
    os.mkfifo(tmp_path / "pipe")
    os.symlink("/etc", tmp_path / "etc")
    with open(os.fsencode(tmp_path) + b"/\xff", "wb") as handle:
        handle.write(b"x")
    tree = hash_tree(tmp_path, report_anomalies=True)
    assert paths(tree) == ["ok.bin"]
    assert {(a.path, a.kind) for a in tree.anomalies} == {
        ("etc", "symlink-escape"),
        ("pipe", "special-file"),
        ("\\xff", "file-name"),
    }
    assert all(isinstance(a, Anomaly) and a.detail for a in tree.anomalies)
    with pytest.raises(InputError):
        hash_tree(tmp_path)


def test_file_modes_are_reported(tmp_path: Path) -> None:
    from mbom.hashing import recorded_mode

    (tmp_path / "plain").write_bytes(b"p")
    (tmp_path / "run").write_bytes(b"r")
    (tmp_path / "run").chmod(0o750)
    (tmp_path / "suid").write_bytes(b"s")
    (tmp_path / "suid").chmod(0o4644)
    modes = {f.path: recorded_mode(f.mode) for f in hash_tree(tmp_path).files}
    assert modes == {"plain": None, "run": "0755", "suid": "4644"}


@pytest.mark.parametrize(
    ("rel", "loadable"),
    [
        ("modeling_x.py", True),
        ("__pycache__/modeling_x.cpython-311.pyc", True),
        ("__pycache__/anything", True),
        ("lib/libx.so.1.2", True),
        ("x.PTH", True),
        ("model.safetensors", False),
        ("README.md", False),
        ("python.txt", False),
    ],
)
def test_is_loadable_by_name(rel: str, loadable: bool) -> None:
    from mbom.hashing import is_loadable

    assert is_loadable(rel) is loadable


def test_stream_walk_pieces_follow_the_byte_order_of_full_paths(tmp_path: Path) -> None:
    """Siblings sort with a directory as name + "/", so "a.txt" < "a/x" < "ab" (UTF-8 order)."""
    names = [
        "a/x",
        "a.txt",
        "a-b/c",
        "a/b/c",
        "ab",
        "a b/z",
        "é/1",
        "z",
        "a/b.c",
        "a/b/d/e",
        "中/x",
    ]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    walked = [row[0] for piece in stream_walk(str(tmp_path), batch=3) for row in piece.files]
    assert walked == sorted(names, key=lambda name: name.encode("utf-8"))


def test_the_pieces_grow_from_a_small_first_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workers start on a small first piece while the walk lists the next, larger one;
    together the pieces are the whole walk, in order."""
    monkeypatch.setattr("mbom.hashing._walk.FIRST_BATCH", 2)
    names = [f"f{index:02d}" for index in range(40)]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    pieces = [[row[0] for row in piece.files] for piece in stream_walk(str(tmp_path), batch=8)]
    assert [len(piece) for piece in pieces] == [2, 4, 8, 8, 8, 8, 2]
    assert [name for piece in pieces for name in piece] == names


def test_a_directory_above_the_sort_limit_is_walked_unsorted_but_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mbom.hashing._walk.SORT_LIMIT", 5)
    for index in range(20):
        (tmp_path / "big" / f"f{index:02d}").parent.mkdir(exist_ok=True)
        (tmp_path / "big" / f"f{index:02d}").write_bytes(b"x")
    (tmp_path / "small.txt").write_bytes(b"x")
    walk = walk_tree(str(tmp_path))
    assert [row[0] for row in walk.files] == [
        *(f"big/f{index:02d}" for index in range(20)),
        "small.txt",
    ]
