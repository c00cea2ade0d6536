"""An exclusive (or shared) ``flock`` on a log file, held while it is read and appended to.

Every appender, in any process, takes the exclusive lock on the log file itself around
"read the last entry, append one line, fsync", so no entry is lost or interleaved; readers
take the shared lock so they never see a line half-written. ``flock`` locks are advisory and
released when the descriptor closes (also when the process dies), so a crashed appender never
leaves the log locked. They do not work across machines on some network filesystems (NFS):
keep the log on a local disk.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from mbom.errors import InputError


@contextmanager
def locked(path: str, *, exclusive: bool, create: bool = False) -> Iterator[int]:
    """Open ``path`` (for appending when ``exclusive``), lock it, yield the descriptor."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        raise InputError("the tamper-evident log needs POSIX file locking (fcntl)") from None
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, not a log file", path=path)
    flags = os.O_RDWR | os.O_APPEND if exclusive else os.O_RDONLY
    if create:
        flags |= os.O_CREAT
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o644)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", path=path) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror}", path=path) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield fd
    finally:
        os.close(fd)  # closing releases the lock
