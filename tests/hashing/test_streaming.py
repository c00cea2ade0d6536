"""hash_tree in batches with spilled sort runs gives the in-memory result, byte for byte."""

from __future__ import annotations

import gc
import os
import tempfile
from pathlib import Path

import pytest

from mbom.errors import SymlinkEscapeError
from mbom.hashing import HashCache, _records, _spill, _walk, hash_tree, merkle_root
from mbom.hashing._records import DiskFiles


def make_tree(root: Path, count: int = 240) -> Path:
    """Nested directories, names that sort differently as paths and as parts, links, ignored."""
    for i in range(count):
        sub = root / f"d{i % 7}" / ("x" if i % 3 else "x.y") / f"é{i % 5}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{i}.bin").write_bytes(b"%d" % i * (i % 4))
    (root / "a.txt").write_bytes(b"a")
    (root / "a").mkdir()
    (root / "a" / "b").write_bytes(b"b")
    (root / "a-").write_bytes(b"-")
    (root / "link").symlink_to("a.txt")
    (root / "d1" / "up").symlink_to("../a/b")
    (root / "d3" / 'q"uo\\te\n\t\x7f\u2028.bin').write_bytes(b"odd name")
    (root / "d3" / "odd-link").symlink_to('q"uo\\te\n\t\x7f\u2028.bin')
    for i in range(30):
        (root / "d2" / f"bom{i}.cdx.json").write_text("{}")
    return root


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Tiny batches, runs and in-memory threshold: every streaming path runs on a small tree."""
    return _shrink(monkeypatch, tmp_path)


def _shrink(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    spill = tmp_path / "spill"
    spill.mkdir()
    monkeypatch.setattr(_walk, "BATCH", 13)
    monkeypatch.setattr(_spill, "RUN_BYTES", 20_000)
    monkeypatch.setattr(_records, "SMALL_TREE", 10)
    monkeypatch.setattr(tempfile, "tempdir", str(spill))
    return spill


def _facts(tree) -> tuple:
    return (
        tree.roots,
        list(tree.files),
        list(tree.ignored),
        tree.total_size,
        len(tree.files),
        tree.anomalies,
    )


@pytest.mark.parametrize("algorithms", [("sha256",), ("sha256", "blake3", "sha512")])
def test_streamed_equals_in_memory(tmp_path: Path, algorithms: tuple, monkeypatch) -> None:
    root = make_tree(tmp_path / "t")
    expected = hash_tree(root, algorithms=algorithms)
    assert isinstance(expected.files, tuple)
    spill = _shrink(monkeypatch, tmp_path)
    streamed = hash_tree(root, algorithms=algorithms)
    assert isinstance(streamed.files, DiskFiles)
    assert _facts(streamed) == _facts(expected)
    assert [f.path for f in streamed.files] == sorted(f.path for f in streamed.files)
    assert streamed.files[0] == expected.files[0]
    assert streamed.files[-1] == expected.files[-1]
    assert streamed.files[3:6] == expected.files[3:6]
    for name in algorithms:
        assert merkle_root(streamed.files, name) == streamed.root(name)
    assert os.listdir(spill)  # the files are read back from the spill directory
    del streamed
    gc.collect()
    assert os.listdir(spill) == []


def test_cache_per_batch(tmp_path: Path, small_limits: Path) -> None:
    root = make_tree(tmp_path / "t", 60)
    store = HashCache(tmp_path / "cache")
    first = hash_tree(root, cache=store, algorithms=("sha256", "blake3"))
    os.utime(tmp_path / "t", None)
    store.racy_horizon = lambda path: 2**62  # type: ignore[method-assign]  # store everything
    second = hash_tree(root, cache=store, algorithms=("sha256", "blake3"))
    third = hash_tree(root, cache=store, algorithms=("sha256", "blake3"))
    assert first.roots == second.roots == third.roots
    assert third.cached == sum(f.symlink is None for f in third.files)  # links: never cached


def test_error_mid_walk_removes_the_spill_directory(tmp_path: Path, small_limits: Path) -> None:
    root = make_tree(tmp_path / "t")
    (root / "d6" / "zz-escape").symlink_to("/etc/hostname")
    with pytest.raises(SymlinkEscapeError):
        hash_tree(root)
    gc.collect()
    assert os.listdir(small_limits) == []


def test_single_file_through_the_same_path(tmp_path: Path, small_limits: Path) -> None:
    path = tmp_path / "one.bin"
    path.write_bytes(b"hello")
    tree = hash_tree(path)
    assert not tree.is_directory and tree.roots == {}
    assert tree.files[0].path == "one.bin" and tree.total_size == 5


def _forking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forked workers for every batch of the tiny trees here (two batches in flight)."""
    from mbom.hashing import _engine

    monkeypatch.setattr(_engine, "FORK_MIN_FILES", 4)
    # Other tests leave threads behind (moto's server, fsspec's IO loop), which makes the
    # engine refuse to fork; these tests are about the forked path, so take it regardless.
    monkeypatch.setattr(_engine, "can_fork", lambda: True)


def test_pipelined_workers_give_the_in_memory_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tree(tmp_path / "t")
    expected = hash_tree(root, algorithms=("sha256", "blake3"), jobs=1)
    _shrink(monkeypatch, tmp_path)
    _forking(monkeypatch)
    streamed = hash_tree(root, algorithms=("sha256", "blake3"), jobs=2)
    assert _facts(streamed) == _facts(expected)


def test_a_walk_out_of_order_falls_back_to_the_sort(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Directories above SORT_LIMIT are listed unsorted: the external sort restores the order."""
    root = make_tree(tmp_path / "t")
    expected = hash_tree(root, algorithms=("sha256", "blake3"))
    _shrink(monkeypatch, tmp_path)
    _forking(monkeypatch)
    monkeypatch.setattr(_walk, "SORT_LIMIT", 2)
    monkeypatch.setattr(_walk, "_sort_key", lambda entry: entry.name[::-1])  # and reversed
    streamed = hash_tree(root, algorithms=("sha256", "blake3"), jobs=2)
    assert _facts(streamed) == _facts(expected)


def test_an_error_with_a_batch_in_flight_leaves_no_worker_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tree(tmp_path / "t")
    os.mkfifo(root / "zz-fifo")  # the walk refuses it last, with the batch before it hashing
    spill = _shrink(monkeypatch, tmp_path)
    _forking(monkeypatch)
    from mbom.errors import UnreadableFileError
    from mbom.hashing import _engine

    forked: list[int] = []
    fork = _engine.fork_child

    def counted(plan, indexes):  # type: ignore[no-untyped-def]
        child = fork(plan, indexes)
        forked.append(child.pid)
        return child

    monkeypatch.setattr(_engine, "fork_child", counted)
    with pytest.raises(UnreadableFileError, match="not a regular file"):
        hash_tree(root, jobs=2)
    assert forked
    for pid in forked:  # every forked worker was reaped
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    gc.collect()
    assert os.listdir(spill) == []
