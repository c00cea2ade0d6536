"""Windows mapped or read, and the measured choice between the two (mbom.hashing._windows).

The choice is tested with the costs it is told (the measuring itself is the process's CPU
clock); the digests with real files, windows of both kinds mixed in one file.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import time
from pathlib import Path

import pytest
from blake3 import blake3

from mbom.hashing import _windows
from mbom.hashing._windows import SAMPLES, WARMUP, Method, digest_windows

MS = 1_000_000


def _teach(method: Method, map_ms: int, read_ms: int, length: int = 1 << 20) -> list[bool]:
    """Feed the method windows costing these milliseconds until it chooses; the order asked."""
    asked = []
    while method.fixed is None and len(asked) < 100:
        mapped = method.maps()
        asked.append(mapped)
        if method.fixed is None:
            cost = map_ms if mapped else read_ms
            method.timed(mapped, length, time.process_time_ns() - cost * MS)
    return asked


@pytest.mark.parametrize(("map_ms", "read_ms", "maps"), [(3, 1, False), (1, 3, True)])
def test_the_cheaper_per_byte_is_kept(map_ms: int, read_ms: int, maps: bool) -> None:
    method = Method(None)
    asked = _teach(method, map_ms, read_ms)
    measured = WARMUP + SAMPLES
    assert asked[: 2 * measured] == [True, False] * measured  # alternating, mapping first
    assert method.fixed is maps and method.maps() is maps
    assert method.windows == [measured, measured]


def test_cost_is_compared_per_byte_not_per_window() -> None:
    """A short last window must not make its kind look cheap."""
    method = Method(None)
    for _ in range(WARMUP + SAMPLES):
        assert method.maps()
        method.timed(True, 1 << 20, time.process_time_ns() - 2 * MS)  # 2 ms a MiB
        assert not method.maps()
        method.timed(False, 1 << 18, time.process_time_ns() - 1 * MS)  # 4 ms a MiB
    assert method.maps() is True


@pytest.mark.parametrize(("setting", "fixed"), [("1", True), ("0", False), ("", None), ("x", None)])
def test_the_environment_can_decide(
    monkeypatch: pytest.MonkeyPatch, setting: str, fixed: bool | None
) -> None:
    monkeypatch.setenv("MBOM_HASH_MMAP", setting)
    assert Method.from_environment().fixed is fixed


def test_the_first_window_of_each_kind_is_not_counted() -> None:
    """The first read pays for touching its buffer, the first map for the first mapping: a
    slow first read must not make mapping look cheaper when later reads are not."""
    method = Method(None)
    costs = {True: [1] + [3] * SAMPLES, False: [9] + [2] * SAMPLES}  # ms per MiB window
    while method.fixed is None:
        mapped = method.maps()
        if method.fixed is None:
            cost = costs[mapped].pop(0)
            method.timed(mapped, 1 << 20, time.process_time_ns() - cost * MS)
    assert method.fixed is False  # read: 2 ms a window once warm, against 3
    assert method.bytes == [SAMPLES << 20, SAMPLES << 20]


def test_a_fixed_method_measures_nothing() -> None:
    method = Method(True)
    method.timed(True, 1 << 20, 0)
    assert method.windows == [0, 0] and method.maps() is True


@pytest.fixture
def big(tmp_path: Path) -> tuple[Path, bytes]:
    data = os.urandom(5 * 65536 + 12345)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    return path, data


@pytest.mark.parametrize("fixed", [None, True, False], ids=["measured", "mapped", "read"])
def test_mixed_windows_give_the_digests_of_the_bytes(
    monkeypatch: pytest.MonkeyPatch, big: tuple[Path, bytes], fixed: bool | None
) -> None:
    monkeypatch.setattr(_windows, "WINDOW", 65536)
    path, data = big
    method = Method(fixed)
    seen: list[int] = []
    fd = os.open(path, os.O_RDONLY)
    try:
        count, raw = digest_windows(
            fd, len(data), ("sha256", "blake3"), method, progress=seen.append
        )
    finally:
        os.close(fd)
    measured = 2 * (WARMUP + SAMPLES)
    samples = [65536 // 4] * measured if fixed is None else []  # measured: small ones
    rest = len(data) - sum(samples)
    assert seen == samples + [65536] * (rest // 65536) + [rest % 65536]
    assert count == len(data)
    assert raw == (hashlib.sha256(data).digest(), blake3(data).digest())
    if fixed is None:
        assert method.windows == [WARMUP + SAMPLES] * 2


def test_a_file_that_cannot_be_mapped_is_read(
    monkeypatch: pytest.MonkeyPatch, big: tuple[Path, bytes]
) -> None:
    """mmap refused (a filesystem without it): the window is read, and so are the rest."""
    monkeypatch.setattr(_windows, "WINDOW", 65536)

    real_mmap = mmap.mmap

    def refuse(fd: int, *args: object, **kwargs: object) -> mmap.mmap:
        if fd == -1:  # the read buffer: anonymous memory, still mapped
            return real_mmap(fd, *args, **kwargs)
        raise OSError(19, "No such device")

    monkeypatch.setattr(_windows.mmap, "mmap", refuse)
    path, data = big
    method = Method(True)
    fd = os.open(path, os.O_RDONLY)
    try:
        count, (raw,) = digest_windows(fd, len(data), ("sha256",), method)
    finally:
        os.close(fd)
    assert (count, raw) == (len(data), hashlib.sha256(data).digest())
    assert method.fixed is False


def test_a_read_window_that_comes_back_short_says_how_much(
    monkeypatch: pytest.MonkeyPatch, big: tuple[Path, bytes]
) -> None:
    """Truncated while read: the count tells the caller the file shrank."""
    monkeypatch.setattr(_windows, "WINDOW", 65536)
    path, data = big
    fd = os.open(path, os.O_RDONLY)
    try:
        os.truncate(path, 100_000)
        count, _ = digest_windows(fd, len(data), ("sha256",), Method(False))
    finally:
        os.close(fd)
    assert count == 100_000
