"""Stream one file through one or more digests with a fixed-size buffer.

Reads go into a reused buffer with ``os.readv`` (no per-chunk allocation, no mmap: mapped
page-cache pages would count towards the process's memory and, measured here, are slower).
hashlib and blake3 release the GIL on large buffers, so threads hashing different files run
on different cores. The file's identity comes from ``fstat`` on the descriptor that is read,
so the size and timestamps recorded always describe the bytes that were hashed.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Sequence

from mbom.errors import UnreadableFileError
from mbom.hashing._algorithms import new_hasher
from mbom.hashing._cache import Identity

#: Buffer for SHA-2: fits in a core's L2 cache, so the digest reads what ``read`` just wrote.
SHA_BLOCK = 256 * 1024
#: Buffer for BLAKE3: large enough for its internal multi-threading to pay off.
BLAKE3_BLOCK = 4 * 1024 * 1024

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_FAST = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}

Progress = Callable[[int], None]


def block_size(algorithms: Sequence[str]) -> int:
    """The read buffer size suited to these algorithms."""
    return BLAKE3_BLOCK if "blake3" in algorithms else SHA_BLOCK


def read_digests(
    path: str,
    algorithms: Sequence[str],
    buffer: bytearray,
    *,
    follow_symlinks: bool = False,
    progress: Progress | None = None,
) -> tuple[int, Identity, tuple[str, ...]]:
    """Hash the file at ``path``; return (bytes read, identity at open, hex digests)."""
    try:
        fd = os.open(path, _OPEN_FLAGS if follow_symlinks else _OPEN_FLAGS | _NOFOLLOW)
    except OSError as exc:
        raise UnreadableFileError(f"{path}: cannot open: {exc.strerror}", path=path) from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnreadableFileError(f"{path}: not a regular file", path=path)
        identity = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
        large = st.st_size >= len(buffer)
        hashers = [
            _FAST[name]() if name in _FAST else new_hasher(name, parallel=large)
            for name in algorithms
        ]
        view = memoryview(buffer)
        total = 0
        readv = os.readv
        while True:
            count = readv(fd, (buffer,))
            if not count:
                break
            chunk = view if count == len(buffer) else view[:count]
            for hasher in hashers:
                hasher.update(chunk)
            total += count
            if progress is not None and large:
                progress(count)
        if progress is not None and not large:
            progress(total)
    except OSError as exc:
        raise UnreadableFileError(f"{path}: read failed: {exc.strerror}", path=path) from exc
    finally:
        os.close(fd)
    return total, identity, tuple(hasher.hexdigest() for hasher in hashers)
