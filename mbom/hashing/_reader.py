"""Open one file, learn its identity, and stream it through one or more digests.

Reads go into a reused, page-aligned buffer (:func:`read_buffer`) with ``os.readv`` (no
per-chunk allocation; forked workers map or read large files window by window:
mbom.hashing._windows). hashlib and blake3 release the GIL on large buffers, so threads
hashing different files run on different cores. The identity (size, mtime, ctime, inode,
device) comes from ``fstat`` on the descriptor that is read, so what is recorded always
describes the bytes that were hashed, and no separate ``stat`` by path is needed.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import stat
from collections.abc import Callable, Sequence

from mbom._pinned import Identity, file_identity
from mbom.errors import UnreadableFileError
from mbom.hashing._algorithms import new_hasher

#: Buffer for SHA-2: fits in a core's L2 cache, so the digest reads what ``read`` just wrote.
SHA_BLOCK = 1024 * 1024
#: Buffer for BLAKE3 hashing one file on all cores: large enough for its threads to pay off.
BLAKE3_BLOCK = 4 * 1024 * 1024
#: Buffer for BLAKE3 on one core (when several large files are hashed side by side).
BLAKE3_SERIAL_BLOCK = 1024 * 1024

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
# O_NONBLOCK: if a FIFO is swapped in after the walk, open must not hang (fstat then refuses it).
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_FAST = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}
FAST_CONSTRUCTORS = _FAST

Progress = Callable[[int], None]


def read_buffer(size: int) -> mmap.mmap:
    """A writable buffer of ``size`` bytes that starts on a page boundary, for ``readv``.

    Not a ``bytearray``: glibc puts one this large 16 bytes past a page start, and the
    kernel's copy into a destination 8-24 bytes past a page start ran at half speed on an
    AMD EPYC VM (1 GiB from the page cache: 0.20 s against 0.08-0.11 s at any other offset
    tried; benchmarks.md, issue 15, seventh pass). Anonymous pages count towards RSS only
    once written, as a bytearray's do. Private (copy-on-write), as a bytearray is: Python
    maps anonymous memory shared by default, which a forked worker would write into the
    parent's buffer."""
    if hasattr(mmap, "MAP_PRIVATE"):
        return mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE)
    return mmap.mmap(-1, size)  # Windows: no fork to share it with


def block_size(algorithms: Sequence[str], parallel: bool = False) -> int:
    """The read buffer size suited to these algorithms (``parallel``: BLAKE3 uses all cores)."""
    if "blake3" in algorithms:
        return BLAKE3_BLOCK if parallel else BLAKE3_SERIAL_BLOCK
    return SHA_BLOCK


def open_fd(path: str, follow_symlinks: bool) -> int:
    """Open for reading, never following a final symlink unless asked."""
    try:
        return os.open(path, _OPEN_FLAGS if follow_symlinks else _OPEN_FLAGS | _NOFOLLOW)
    except OSError as exc:
        raise UnreadableFileError(f"{path}: cannot open: {exc.strerror}", path=path) from exc


def open_file(path: str, *, follow_symlinks: bool = False) -> tuple[int, Identity]:
    """Open a regular file for reading; return the descriptor and its identity."""
    fd = open_fd(path, follow_symlinks)
    try:
        st = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        raise UnreadableFileError(f"{path}: cannot stat: {exc.strerror}", path=path) from exc
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise UnreadableFileError(f"{path}: not a regular file", path=path)
    return fd, file_identity(st)


def digest_small(
    fd: int, size: int, algorithms: Sequence[str], path: str, *, prefix: bytes | None = None
) -> tuple[int, tuple[bytes, ...]]:
    """Digest a file known to be small in one read (one syscall); falls back if it grew.

    ``prefix``: bytes the caller already read (``size + 1`` of them when the file grew).
    """
    try:
        data = os.read(fd, size + 1) if prefix is None else prefix
    except OSError as exc:
        raise UnreadableFileError(f"{path}: read failed: {exc.strerror}", path=path) from exc
    if len(data) > size:  # grew since fstat: stream the rest
        return digest_stream(fd, algorithms, read_buffer(SHA_BLOCK), path, prefix=data)
    if len(algorithms) == 1 and algorithms[0] in _FAST:
        return len(data), (_FAST[algorithms[0]](data).digest(),)
    return len(data), tuple(start_hasher(name, False, data).digest() for name in algorithms)


def digest_stream(
    fd: int,
    algorithms: Sequence[str],
    buffer: mmap.mmap,
    path: str,
    *,
    prefix: bytes = b"",
    progress: Progress | None = None,
    parallel: bool = False,
) -> tuple[int, tuple[bytes, ...]]:
    """Stream the rest of ``fd`` through every digest; return (bytes read, raw digests).

    ``parallel`` lets BLAKE3 spread this one file over all cores (when few files are large).
    """
    hashers = [start_hasher(name, parallel, prefix) for name in algorithms]
    total = len(prefix) + digest_into(fd, hashers, buffer, path, progress)
    return total, tuple(hasher.digest() for hasher in hashers)


def digest_into(
    fd: int, hashers: Sequence, buffer: mmap.mmap, path: str, progress: Progress | None = None
) -> int:
    """Read ``fd`` to its end into ``buffer``, feeding every hasher; return the bytes read."""
    view = memoryview(buffer)
    total = 0
    readv = os.readv
    try:
        while True:
            count = readv(fd, (buffer,))
            if not count:
                break
            chunk = view if count == len(buffer) else view[:count]
            for hasher in hashers:
                hasher.update(chunk)
            total += count
            if progress is not None:
                progress(count)
    except OSError as exc:
        raise UnreadableFileError(f"{path}: read failed: {exc.strerror}", path=path) from exc
    return total


def start_hasher(name: str, large: bool, data: bytes = b"", threads: int | None = None):
    """A digest started over ``data``; ``large`` lets BLAKE3 use several threads."""
    hasher = _FAST[name]() if name in _FAST else new_hasher(name, parallel=large, threads=threads)
    if data:
        hasher.update(data)
    return hasher
