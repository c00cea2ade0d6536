"""The generic Location driver gives hash_tree's bytes: same root, files, ignored paths."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from mbom.errors import ObjectChangedError
from mbom.hashing import hash_tree
from mbom.hashing._local import LocalLocation
from mbom.hashing._location import Listed
from mbom.hashing._stream import InProcessExecutor, hash_location
from tests.hashing.test_streaming import _shrink, make_tree

ALGORITHMS = ("sha256", "blake3")


def _same(a, b) -> None:
    assert (a.path, a.is_directory, a.roots, a.total_size) == (
        b.path,
        b.is_directory,
        b.roots,
        b.total_size,
    )
    assert list(a.files) == list(b.files)
    assert list(a.ignored) == list(b.ignored)


def test_local_location_equals_the_fast_path(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "t")
    fast = hash_tree(root, algorithms=ALGORITHMS)
    _same(hash_location(LocalLocation(root), ALGORITHMS), fast)
    _same(hash_tree(root, algorithms=ALGORITHMS, executor=InProcessExecutor()), fast)
    assert any(f.symlink for f in fast.files) and fast.ignored


def test_streamed_limits_and_single_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_tree(tmp_path / "t")
    fast = hash_tree(root)
    one = root / "a.txt"
    single = hash_tree(one)
    _shrink(monkeypatch, tmp_path)
    _same(hash_location(LocalLocation(root), ("sha256",)), fast)
    _same(hash_location(LocalLocation(one), ("sha256",)), single)


class _Remoteish(LocalLocation):
    """A local tree that says it is remote: the threaded batches of InProcessExecutor run."""

    scheme = "test"

    @property
    def is_local(self) -> bool:
        return False


def test_threaded_batches_give_the_same_tree(tmp_path: Path, monkeypatch) -> None:
    root = make_tree(tmp_path / "t")
    monkeypatch.setattr("mbom.hashing._stream.REMOTE_BATCH", 7)
    tree = hash_location(_Remoteish(root), ALGORITHMS, executor=InProcessExecutor(threads=3))
    _same(tree, hash_tree(root, algorithms=ALGORITHMS))


def test_location_is_picklable_and_lists_one_level(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "t")
    location = pickle.loads(pickle.dumps(LocalLocation(root)))
    dirs, objects = location.list_dir("")
    assert sorted(dirs) == ["a", "d0", "d1", "d2", "d3", "d4", "d5", "d6"]
    assert sorted(o.rel for o in objects) == ["a-", "a.txt", "link"]
    dirs, objects = location.list_dir("d2")
    assert not any(o.rel.endswith(".cdx.json") for o in objects)  # ignore rules apply
    assert all(d.startswith("d2/") for d in dirs)


def test_size_changed_since_listing_names_the_file(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "t")
    with pytest.raises(ObjectChangedError, match=r"a\.txt"):
        LocalLocation(root).hash_objects([Listed("a.txt", 99)], ("sha256",))


def test_tolerant_failure_becomes_an_anomaly(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "t")

    class Vanishing(LocalLocation):
        def find(self):
            yield from super().find()
            yield Listed("gone.bin", 3)

    tree = hash_location(Vanishing(root), ("sha256",), tolerant=True)
    assert [a.path for a in tree.anomalies] == ["gone.bin"]
    assert len(tree.files) == len(hash_tree(root).files)
