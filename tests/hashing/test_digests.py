"""Digests equal the reference implementations on files of every awkward size."""

from __future__ import annotations

import ctypes
import hashlib
import mmap
import os
from pathlib import Path

import blake3
import pytest

from mbom.errors import InputError
from mbom.hashing import hash_file, hash_tree
from mbom.hashing._engine import SMALL_FILE
from mbom.hashing._reader import (
    BLAKE3_BLOCK,
    BLAKE3_SERIAL_BLOCK,
    SHA_BLOCK,
    digest_small,
    open_file,
    read_buffer,
)

SIZES = {
    "empty": 0,
    "one-byte": 1,
    "one-sha-block": SHA_BLOCK,
    "sha-block-plus-one": SHA_BLOCK + 1,
    "one-blake3-block": BLAKE3_BLOCK,
    "largest-single-read": SMALL_FILE,
    "smallest-streamed": SMALL_FILE + 1,
    "many-blocks": 3 * BLAKE3_BLOCK + 12345,
}


def reference(algorithm: str, data: bytes) -> str:
    if algorithm == "blake3":
        return blake3.blake3(data).hexdigest()
    return hashlib.new(algorithm, data).hexdigest()


@pytest.fixture(scope="module")
def sized_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, bytes]]:
    root = tmp_path_factory.mktemp("sized")
    files = {}
    for name, size in SIZES.items():
        data = os.urandom(size)
        path = root / f"{name}.bin"
        path.write_bytes(data)
        files[name] = (path, data)
    return files


@pytest.mark.parametrize("algorithm", ["sha256", "sha512", "blake3"])
@pytest.mark.parametrize("name", list(SIZES))
def test_file_digest_matches_reference(sized_files, name: str, algorithm: str) -> None:
    path, data = sized_files[name]
    result = hash_file(path, algorithms=(algorithm,))
    assert result.size == len(data)
    assert result.digests[algorithm] == reference(algorithm, data)


def test_one_read_feeds_several_algorithms(sized_files) -> None:
    path, data = sized_files["many-blocks"]
    result = hash_file(path, algorithms=("sha256", "blake3", "sha512"))
    names = ("sha256", "blake3", "sha512")
    assert result.digests == {name: reference(name, data) for name in names}


@pytest.mark.parametrize("jobs", [1, 2, 4])
def test_tree_digests_match_reference_in_parallel(tmp_path: Path, jobs: int) -> None:
    expected = {}
    for index in range(300):
        data = os.urandom(index * 37)
        name = f"d{index % 7}/f{index:03d}.bin"
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(data)
        expected[name] = hashlib.sha256(data).hexdigest()
    big = os.urandom(2 * BLAKE3_BLOCK)
    (tmp_path / "big.bin").write_bytes(big)
    expected["big.bin"] = hashlib.sha256(big).hexdigest()
    tree = hash_tree(tmp_path, jobs=jobs)
    assert {entry.path: entry.digests["sha256"] for entry in tree.files} == expected
    assert [entry.path for entry in tree.files] == sorted(expected)


def test_many_small_files_use_worker_process_and_agree(tmp_path: Path) -> None:
    # Above the fork threshold the engine splits work with a child process.
    expected = {}
    for index in range(2500):
        data = index.to_bytes(4, "big") * 10
        (tmp_path / f"f{index:05d}").write_bytes(data)
        expected[f"f{index:05d}"] = hashlib.sha256(data).hexdigest()
    tree = hash_tree(tmp_path, jobs=2)
    assert {entry.path: entry.digests["sha256"] for entry in tree.files} == expected


def test_unreadable_file_in_worker_process_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for index in range(2500):
        (tmp_path / f"f{index:05d}").write_bytes(b"x")
    deny_reading(monkeypatch, tmp_path / "f02001")
    with pytest.raises(InputError, match="f02001"):
        hash_tree(tmp_path, jobs=2)


def deny_reading(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """Make one file unreadable even for root (chmod 0 does not stop root)."""
    real_open = os.open

    def guarded_open(path, flags, *args, **kwargs):
        if os.fspath(path) == str(denied):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_open)


def test_single_file_has_no_root(sized_files) -> None:
    path, _ = sized_files["one-byte"]
    tree = hash_tree(path)
    assert not tree.is_directory and tree.root() is None
    assert [entry.path for entry in tree.files] == ["one-byte.bin"]


def test_unknown_algorithm_is_an_input_error(sized_files) -> None:
    with pytest.raises(InputError, match="unknown hash algorithm 'md5'"):
        hash_file(sized_files["empty"][0], algorithms=("md5",))


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or directory"):
        hash_tree(tmp_path / "absent")


def test_hash_file_refuses_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        hash_file(tmp_path)


@pytest.mark.parametrize("algorithms", [("sha256",), ("sha256", "blake3")])
def test_file_that_grew_after_fstat_is_hashed_whole(tmp_path: Path, algorithms) -> None:
    """The one-read path trusts nothing: more bytes than fstat said means read on."""
    data = os.urandom(SHA_BLOCK * 3 + 5)
    path = tmp_path / "growing.bin"
    path.write_bytes(data)
    fd, _identity = open_file(str(path))
    try:
        size, raw = digest_small(fd, 10, algorithms, str(path))  # as if fstat had said 10
    finally:
        os.close(fd)
    assert size == len(data)
    assert [value.hex() for value in raw] == [reference(name, data) for name in algorithms]


def test_read_buffers_start_on_a_page_boundary() -> None:
    """The kernel's copy into a buffer 8-24 bytes past a page start (where glibc puts a
    large bytearray) ran at half speed on one VM: every read buffer is page-aligned."""
    for size in (SHA_BLOCK, BLAKE3_SERIAL_BLOCK, 4096, 12345):
        buffer = read_buffer(size)
        address = ctypes.addressof(ctypes.c_char.from_buffer(buffer))
        assert (len(buffer), address % mmap.PAGESIZE) == (size, 0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_read_buffer_is_not_shared_with_a_forked_worker() -> None:
    """What a worker reads into a buffer it inherited never lands in the parent's copy."""
    buffer = read_buffer(4096)
    buffer[:5] = b"owner"
    pid = os.fork()
    if pid == 0:  # the worker: overwrite, leave at once
        buffer[:5] = b"child"
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert buffer[:5] == b"owner"
