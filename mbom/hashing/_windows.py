"""Digest a file window by window, each window mapped or read: whichever costs less here.

Usage::

    from mbom.hashing._windows import Method, digest_windows

    method = Method.from_environment()   # one per worker process: it learns as it goes
    count, raw = digest_windows(fd, size, ("sha256",), method)
    if count != size:
        ...                              # the file shrank while it was read

Mapping a window hashes the page cache in place and saves the copy ``read`` makes of every
byte; but the digest then reads DRAM, where after ``read`` it reads a buffer that stays in
L2. Which is cheaper depends on the algorithm and on the machine (docs/benchmarks.md, issue
15: BLAKE3 mapped took 0.75-0.82 x its read time on two VMs and 1.07-1.18 x on a third;
SHA-256 mapped 0.90 x, 1.12 x and 0.91-0.96 x). So unless ``MBOM_HASH_MMAP`` decides (``1``:
map, ``0``: read), a worker measures: its first windows (a quarter of :data:`WINDOW` each,
so the slower way costs little) alternate between the two, each timed in the process's CPU
time (the copy's system time and the page faults included), and once it has :data:`SAMPLES`
of each it keeps the one that cost less per byte for the rest of its files. The first window
of each kind is not counted (:data:`WARMUP`): it pays once-only costs (the read buffer's
first touch, the first mapping), up to 1.7 x a later window's, which made the choice a coin
toss on a VM where read was 13 % cheaper (docs/benchmarks.md, issue 15, ninth pass). Every window is
hashed exactly once, in file order, whichever way its bytes arrive, so the digests never
depend on the choice.

A window mapped past a file's new end raises SIGBUS in this process (the caller runs this in
a forked worker for that reason); a window read past it comes back short, and the count
returned is less than ``size``.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import time
from collections.abc import Sequence

from mbom.hashing._reader import Progress, block_size, read_buffer, start_hasher

#: Bytes mapped (or read) at once: large enough that mapping costs little, small enough
#: that RSS stays flat (a multiple of every platform's allocation granularity).
WINDOW = 16 * 1024 * 1024
#: Windows of each kind a measuring worker counts before it chooses (3 x 4 MiB each)...
SAMPLES = 3
#: ...after this many of each kind, hashed but not counted (their once-only costs).
WARMUP = 1
_ADVICE = [getattr(mmap, n) for n in ("MADV_SEQUENTIAL", "MADV_WILLNEED") if hasattr(mmap, n)]
_POPULATE = getattr(mmap, "MAP_POPULATE", 0)
_MAPS, _READS = 0, 1


class Method:
    """How one worker gets each window's bytes: fixed, or measured on its first windows."""

    def __init__(self, fixed: bool | None) -> None:
        #: True: map; False: read; None: still measuring.
        self.fixed = fixed
        #: CPU time and bytes of the counted windows of each kind (after the warm-up).
        self.cost_ns = [0, 0]
        self.bytes = [0, 0]
        #: Windows of each kind measured so far, the warm-up included.
        self.windows = [0, 0]
        self._buffer: mmap.mmap | None = None

    @classmethod
    def from_environment(cls) -> Method:
        """``MBOM_HASH_MMAP``: ``1`` maps, ``0`` reads, unset (or anything else) measures."""
        if not hasattr(mmap.mmap, "madvise"):
            return cls(False)
        return cls({"1": True, "0": False}.get(os.environ.get("MBOM_HASH_MMAP", "")))

    def maps(self) -> bool:
        """Whether the next window is mapped."""
        if self.fixed is not None:
            return self.fixed
        if min(self.windows) >= WARMUP + SAMPLES:
            mapped = self.cost_ns[_MAPS] * self.bytes[_READS]
            read = self.cost_ns[_READS] * self.bytes[_MAPS]
            self.fixed = mapped <= read  # per byte; a tie maps (no copy)
            return self.fixed
        return self.windows[_MAPS] <= self.windows[_READS]  # alternate, mapping first

    def timed(self, mapped: bool, length: int, started_ns: int) -> None:
        """Record what a window cost, while measuring."""
        if self.fixed is None:
            kind = _MAPS if mapped else _READS
            if self.windows[kind] >= WARMUP:
                self.cost_ns[kind] += time.process_time_ns() - started_ns
                self.bytes[kind] += length
            self.windows[kind] += 1

    def cannot_map(self) -> None:
        """Mapping failed here (a filesystem without mmap): read from now on."""
        self.fixed = False

    def buffer(self, algorithms: Sequence[str], threads: int | None) -> memoryview:
        """The read buffer, made at the first window read (never, for a worker that maps)."""
        if self._buffer is None:
            self._buffer = read_buffer(block_size(algorithms, bool(threads)))
        return memoryview(self._buffer)


def digest_windows(
    fd: int,
    size: int,
    algorithms: Sequence[str],
    method: Method,
    *,
    threads: int | None = None,
    progress: Progress | None = None,
) -> tuple[int, tuple[bytes, ...]]:
    """Digest the first ``size`` bytes of ``fd``; return (bytes hashed, raw digests).

    Fewer than ``size`` bytes hashed means the file shrank (a read came back short)."""
    hashers = [start_hasher(name, bool(threads), b"", threads) for name in algorithms]
    offset = 0
    while offset < size:
        mapped = method.maps()
        length = min(WINDOW if method.fixed is not None else WINDOW // 4, size - offset)
        started = time.process_time_ns() if method.fixed is None else 0
        if not (mapped and _hash_mapped(fd, offset, length, hashers)):
            if mapped:
                method.cannot_map()
                mapped = False
            got = _hash_read(fd, offset, length, hashers, method.buffer(algorithms, threads))
            if got < length:
                return offset + got, tuple(hasher.digest() for hasher in hashers)
        method.timed(mapped, length, started)
        offset += length
        if progress is not None:
            progress(length)
    return offset, tuple(hasher.digest() for hasher in hashers)


def _hash_mapped(fd: int, offset: int, length: int, hashers: Sequence) -> bool:
    """Hash one window where the page cache holds it; False if it cannot be mapped."""
    try:
        window = mmap.mmap(
            fd, length, flags=mmap.MAP_SHARED | _POPULATE, prot=mmap.PROT_READ, offset=offset
        )
    except OSError:
        return False
    try:
        for advice in _ADVICE:
            with contextlib.suppress(OSError):
                window.madvise(advice)
        with memoryview(window) as view:
            for hasher in hashers:
                hasher.update(view)
    finally:
        window.close()
    return True


def _hash_read(fd: int, offset: int, length: int, hashers: Sequence, buffer: memoryview) -> int:
    """Hash one window read into ``buffer``; return the bytes read (short: the file shrank)."""
    done = 0
    os.lseek(fd, offset, os.SEEK_SET)  # windows before may have been mapped
    while done < length:
        want = min(len(buffer), length - done)
        count = os.readv(fd, (buffer if want == len(buffer) else buffer[:want],))
        if not count:
            break
        chunk = buffer[:count]
        for hasher in hashers:
            hasher.update(chunk)
        done += count
    return done
