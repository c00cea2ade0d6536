"""The incremental cache skips unchanged files and never serves a stale digest."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from mbom.hashing import HashCache, hash_tree
from mbom.hashing._cache import RACY_WINDOW_NS

OLD = 1_600_000_000


def age(path: Path) -> None:
    """Back-date mtime so the file is outside the racy window (ctime stays 'now')."""
    os.utime(path, (OLD, OLD))


@pytest.fixture
def store(tmp_path: Path) -> HashCache:
    return HashCache(tmp_path / "cache")


@pytest.fixture
def model(tmp_path: Path) -> Path:
    root = tmp_path / "model"
    root.mkdir()
    for index in range(5):
        (root / f"w{index}.bin").write_bytes(bytes([index]) * 1000)
    return root


@pytest.fixture(autouse=True)
def _no_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    # Files in these tests are seconds old; let the cache store them anyway.
    monkeypatch.setattr("mbom.hashing._cache.RACY_WINDOW_NS", 0)


def digests(tree) -> dict[str, str]:
    return {entry.path: entry.digests["sha256"] for entry in tree.files}


def test_second_run_is_served_from_cache(model: Path, store: HashCache) -> None:
    first = hash_tree(model, cache=store)
    second = hash_tree(model, cache=store)
    assert first.cached == 0 and second.cached == 5
    assert digests(first) == digests(second) and first.root() == second.root()


def test_content_change_with_preserved_mtime_and_same_size_is_rehashed(
    model: Path, store: HashCache
) -> None:
    target = model / "w1.bin"
    age(target)
    hash_tree(model, cache=store)
    before = os.stat(target)
    target.write_bytes(b"\xff" * 1000)  # same size
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # mtime put back
    tree = hash_tree(model, cache=store)
    assert tree.cached == 4
    assert digests(tree)["w1.bin"] == hashlib.sha256(b"\xff" * 1000).hexdigest()


def test_content_change_with_preserved_mtime_and_size_change_is_rehashed(
    model: Path, store: HashCache
) -> None:
    target = model / "w2.bin"
    age(target)
    hash_tree(model, cache=store)
    target.write_bytes(b"longer" * 500)
    age(target)
    tree = hash_tree(model, cache=store)
    assert digests(tree)["w2.bin"] == hashlib.sha256(b"longer" * 500).hexdigest()


def test_replaced_file_with_same_stat_times_is_rehashed(model: Path, store: HashCache) -> None:
    hash_tree(model, cache=store)
    replacement = model / "new.tmp"
    replacement.write_bytes(b"\x07" * 1000)
    stat = os.stat(model / "w3.bin")
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(replacement, model / "w3.bin")  # new inode
    tree = hash_tree(model, cache=store)
    assert digests(tree)["w3.bin"] == hashlib.sha256(b"\x07" * 1000).hexdigest()


def test_cache_can_be_bypassed(model: Path, store: HashCache) -> None:
    hash_tree(model, cache=store)
    assert hash_tree(model, cache=False).cached == 0


def test_racily_clean_files_are_not_cached(
    model: Path, store: HashCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mbom.hashing._cache.RACY_WINDOW_NS", RACY_WINDOW_NS)
    hash_tree(model, cache=store)  # files were written just now
    assert hash_tree(model, cache=store).cached == 0


def test_corrupt_cache_degrades_to_hashing(model: Path, tmp_path: Path) -> None:
    directory = tmp_path / "broken"
    directory.mkdir()
    (directory / "hashes.sqlite3").write_bytes(b"this is not a database" * 100)
    tree = hash_tree(model, cache=HashCache(directory))
    assert len(tree.files) == 5 and tree.cached == 0


def test_a_cache_directory_that_cannot_be_made_degrades_to_hashing(
    model: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")  # the cache's parent is a file: makedirs raises an OSError
    tree = hash_tree(model, cache=HashCache(blocker / "cache"))
    assert len(tree.files) == 5 and tree.cached == 0


def test_cache_is_per_algorithm(model: Path, store: HashCache) -> None:
    hash_tree(model, cache=store)
    tree = hash_tree(model, cache=store, algorithms=("sha256", "blake3"))
    assert tree.cached == 0
    assert hash_tree(model, cache=store, algorithms=("blake3",)).cached == 5


def test_default_cache_lives_in_mbom_cache_dir(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MBOM_CACHE_DIR", str(tmp_path / "env-cache"))
    hash_tree(model, cache=True)
    assert (tmp_path / "env-cache" / "hashes.sqlite3").is_file()


def next_tick(directory: Path) -> None:
    """Wait until the filesystem stamps a new file later than every file in ``directory``."""
    latest = max(max(p.stat().st_mtime_ns, p.stat().st_ctime_ns) for p in directory.iterdir())
    for _ in range(2000):
        probe = directory.parent / "tick"
        probe.write_bytes(b"")
        if probe.stat().st_mtime_ns > latest:
            probe.unlink()
            return
        time.sleep(0.001)
    pytest.fail("the filesystem clock did not advance")


def test_filesystem_clock_stores_files_older_than_the_probe(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mbom.hashing._cache.RACY_WINDOW_NS", RACY_WINDOW_NS)
    clocked = HashCache(tmp_path / "cache", filesystem_clock=True)
    for path in model.iterdir():
        os.utime(path, ns=(path.stat().st_mtime_ns - 10**6,) * 2)
    next_tick(model)  # the probe is now made in a later timestamp tick than any file
    hash_tree(model, cache=clocked)
    assert hash_tree(model, cache=clocked).cached == 5  # not held back 2 s
    assert not [p for p in model.iterdir() if p.name.startswith(".mbom-clock")]


@pytest.mark.parametrize("tmpfile", [True, False], ids=["O_TMPFILE", "tempfile"])
def test_the_clock_probe_is_a_fresh_stamp_and_leaves_nothing(
    model: Path, monkeypatch: pytest.MonkeyPatch, tmpfile: bool
) -> None:
    """Unnamed (O_TMPFILE) where the OS has it, tempfile's file elsewhere: both give this
    filesystem's time of a write just made, and neither leaves a file behind."""
    from mbom.hashing import _cache, filesystem_horizon

    if not tmpfile:
        monkeypatch.setattr(_cache, "_O_TMPFILE", 0)
    elif not _cache._O_TMPFILE:
        pytest.skip("this OS has no O_TMPFILE")
    before = set(model.iterdir())
    next_tick(model)
    latest = max(p.stat().st_mtime_ns for p in model.iterdir())
    assert filesystem_horizon(str(model)) > latest
    assert set(model.iterdir()) == before


def test_a_clock_probe_refused_by_the_directory_falls_back_to_the_wall_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No write permission (or a read-only mount): no probe, ``now - RACY_WINDOW_NS``."""
    from mbom.hashing import _cache

    def refuse(*args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_cache.os, "open", refuse)
    monkeypatch.setattr(_cache, "now_ns", lambda: 10**18)
    assert _cache.filesystem_horizon(str(tmp_path)) == 10**18 - _cache.RACY_WINDOW_NS


def test_filesystem_clock_never_stores_a_file_not_older_than_the_probe(
    model: Path, tmp_path: Path
) -> None:
    clocked = HashCache(tmp_path / "cache", filesystem_clock=True)
    for path in model.iterdir():
        os.utime(path, ns=(path.stat().st_mtime_ns - 10**6,) * 2)
    next_tick(model)
    future = (model / "w0.bin").stat().st_mtime_ns + 10**12  # as if written after the probe
    os.utime(model / "w0.bin", ns=(future, future))
    hash_tree(model, cache=clocked)
    assert hash_tree(model, cache=clocked).cached == 4  # w0.bin is re-read every time
