"""Incremental hash cache: skip re-hashing files whose identity has not changed.

A file's cached digest is reused only when its absolute path, size, mtime_ns, ctime_ns, inode
and device all equal what they were when it was hashed. ctime cannot be set from user space,
so content rewritten with a preserved mtime (``touch -d``, ``cp -p``) still misses the cache.
Entries whose timestamps were within :data:`RACY_WINDOW_NS` of the moment they were hashed
are not stored ("racily clean", as git calls it): a write landing in the same timestamp tick
as the read would otherwise go unnoticed. ``HashCache(filesystem_clock=True)`` (the training
recorder's choice) replaces that fixed window by git's own rule: just before the files are
read, a probe file is created and removed beside them, and only files whose mtime and ctime
are strictly older than the probe's mtime -- in the filesystem's own clock and granularity --
are stored. Any later write gets a timestamp at least the probe's, so it cannot look
unchanged.

The cache is a convenience for producers (``hash``, ``generate``). Verification never reads
it: anyone who can write to the user's cache directory could otherwise make a tampered file
pass. See docs/hashing.md.
"""

from __future__ import annotations

import errno
import os
import sys
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from mbom._log import warn
from mbom._pinned import Identity

if TYPE_CHECKING:
    import sqlite3

#: Files modified this recently before hashing are not cached (coarse filesystem clocks).
RACY_WINDOW_NS = 2_000_000_000

CACHE_ENV = "MBOM_CACHE_DIR"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS digests (
    path TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    dev INTEGER NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (path, algorithm)
) WITHOUT ROWID
"""

#: Paths per ``IN (...)`` query (SQLite's historical limit on parameters is 999).
_IN_CHUNK = 900


def default_cache_dir() -> str:
    """``$MBOM_CACHE_DIR``, else the platform's user cache directory for mbom.

    (XDG on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows; written out here
    rather than imported because this runs on every ``mbom hash``; plain strings rather than
    pathlib for the same reason.)
    """
    override = os.environ.get(CACHE_ENV)
    if override:
        return override
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
        return os.path.join(base, "mbom", "Cache")
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Caches/mbom")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "mbom")


class HashCache:
    """SQLite-backed digest cache. Failures degrade to "no cache" with a logged warning."""

    def __init__(
        self, directory: str | os.PathLike[str] | None = None, *, filesystem_clock: bool = False
    ) -> None:
        base = os.fspath(directory) if directory is not None else default_cache_dir()
        self.path = os.path.join(base, "hashes.sqlite3")
        self.filesystem_clock = filesystem_clock
        self._db: sqlite3.Connection | None = None

    def racy_horizon(self, path: str) -> int:
        """Call before reading files under ``path``: only timestamps older than this are stored.

        ``now - RACY_WINDOW_NS``; with ``filesystem_clock``, :func:`filesystem_horizon`.
        """
        if not self.filesystem_clock:
            return now_ns() - RACY_WINDOW_NS
        return filesystem_horizon(path)

    def _connect(self) -> sqlite3.Connection | None:
        import sqlite3

        if self._db is None:
            try:
                os.makedirs(os.path.dirname(self.path), exist_ok=True)
                db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute(_SCHEMA)
                self._db = db
            except (sqlite3.Error, OSError) as exc:  # corrupt, unwritable: hash without it
                warn("hash cache %s unusable (%s); hashing without it", self.path, exc)
                return None
        return self._db

    def lookup(self, algorithm: str, root: str) -> dict[str, tuple[Identity, str]]:
        """All cached digests for ``root`` (a file, or every file under a directory)."""
        db = self._connect()
        if db is None:
            return {}
        prefix = root.rstrip(os.sep) + os.sep
        query = (
            "SELECT path, size, mtime_ns, ctime_ns, ino, dev, digest FROM digests "
            "WHERE algorithm = ? AND (path = ? OR (path >= ? AND path < ?))"
        )
        upper = prefix[:-1] + chr(ord(os.sep) + 1)
        try:
            rows = db.execute(query, (algorithm, root, prefix, upper)).fetchall()
        except sys.modules["sqlite3"].Error as exc:  # imported by _connect
            warn("hash cache %s unreadable (%s); hashing without it", self.path, exc)
            return {}
        return {row[0]: ((row[1], row[2], row[3], row[4], row[5]), row[6]) for row in rows}

    def lookup_paths(self, algorithm: str, paths: Sequence[str]) -> dict[str, tuple[Identity, str]]:
        """Cached digests of these paths only (a batch of a large tree: memory stays flat)."""
        db = self._connect()
        if db is None or not paths:
            return {}
        found: dict[str, tuple[Identity, str]] = {}
        try:
            for start in range(0, len(paths), _IN_CHUNK):
                chunk = paths[start : start + _IN_CHUNK]
                query = (
                    "SELECT path, size, mtime_ns, ctime_ns, ino, dev, digest FROM digests "
                    f"WHERE algorithm = ? AND path IN ({','.join('?' * len(chunk))})"
                )
                for row in db.execute(query, (algorithm, *chunk)):
                    found[row[0]] = ((row[1], row[2], row[3], row[4], row[5]), row[6])
        except sys.modules["sqlite3"].Error as exc:  # imported by _connect
            warn("hash cache %s unreadable (%s); hashing without it", self.path, exc)
            return {}
        return found

    def lookup_range(
        self, algorithm: str, first: str, last: str
    ) -> dict[str, tuple[Identity, str]]:
        """Cached digests of every path from ``first`` to ``last`` (a batch of a walk in path
        order: one index range scan instead of a lookup per path)."""
        db = self._connect()
        if db is None:
            return {}
        query = (
            "SELECT path, size, mtime_ns, ctime_ns, ino, dev, digest FROM digests "
            "WHERE algorithm = ? AND path >= ? AND path <= ?"
        )
        try:
            rows = db.execute(query, (algorithm, first, last)).fetchall()
        except sys.modules["sqlite3"].Error as exc:  # imported by _connect
            warn("hash cache %s unreadable (%s); hashing without it", self.path, exc)
            return {}
        return {row[0]: ((row[1], row[2], row[3], row[4], row[5]), row[6]) for row in rows}

    def store(
        self, algorithm: str, rows: Iterable[tuple[str, Identity, str]], horizon_ns: int
    ) -> None:
        """Remember digests, leaving out files modified at or after ``horizon_ns``
        (:meth:`racy_horizon`, taken before they were read)."""
        db = self._connect()
        if db is None:
            return
        horizon = horizon_ns
        values = [
            (path, algorithm, *identity, digest)
            for path, identity, digest in rows
            if identity[1] < horizon and identity[2] < horizon
        ]
        if not values:
            return
        try:
            db.execute("BEGIN")
            db.executemany("INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values)
            db.execute("COMMIT")
        except sys.modules["sqlite3"].Error as exc:  # imported by _connect
            warn("hash cache %s not updated (%s)", self.path, exc)
            if db.in_transaction:
                db.execute("ROLLBACK")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def now_ns() -> int:
    """Wall-clock time comparable with file timestamps."""
    return time.time_ns()


def filesystem_horizon(path: str) -> int:
    """A moment in ``path``'s filesystem clock before which every timestamp is "settled".

    The mtime of a probe file made (and removed at once; unnamed where the OS allows) in
    ``path``'s directory on the same filesystem, in that filesystem's own clock and
    granularity: any write after this call gets a timestamp at least this one, so a file
    whose ctime is older was not written since (git's rule for racily clean entries).
    ``now - RACY_WINDOW_NS`` where the probe cannot be made there (read-only, another device).
    """
    fallback = now_ns() - RACY_WINDOW_NS
    directory = path if os.path.isdir(path) else os.path.dirname(path) or "."
    try:
        stamp = _probe_stamp(directory)
        same_device = os.stat(path).st_dev == stamp.st_dev
    except OSError:
        return fallback
    return stamp.st_mtime_ns if same_device else fallback


_O_TMPFILE = getattr(os, "O_TMPFILE", 0)
#: What ``O_TMPFILE`` fails with where the kernel or the filesystem lacks it.
_NO_TMPFILE = (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL)


def _probe_stamp(directory: str) -> os.stat_result:
    """The status of a one-byte file just written in ``directory`` and removed at once.

    ``O_TMPFILE`` (Linux) makes it unnamed without importing tempfile, which costs generate
    3 ms before its hashing starts; elsewhere, or where the filesystem refuses it,
    ``tempfile.TemporaryFile`` (named, then unlinked at once where the OS allows)."""
    if _O_TMPFILE:
        try:
            fd = os.open(directory, _O_TMPFILE | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0), 0o600)
        except OSError as exc:
            if exc.errno not in _NO_TMPFILE:
                raise  # read-only, no permission: no probe can be made here
            fd = -1
        if fd >= 0:
            try:
                os.write(fd, b"\0")
                return os.fstat(fd)
            finally:
                os.close(fd)
    import tempfile

    with tempfile.TemporaryFile(dir=directory, prefix=".mbom-clock-") as probe:
        probe.write(b"\0")
        probe.flush()
        return os.fstat(probe.fileno())


def settled_horizon(path: str, ctime_ns: int) -> int:
    """Wait until ``path``'s filesystem clock has passed ``ctime_ns``; return that horizon.

    For a file changed in the same timestamp tick as the horizon taken before it was read:
    from the returned horizon on, any write to it shows as a newer ctime. Usually one clock
    tick (milliseconds); at most ``RACY_WINDOW_NS`` and a bit where no probe can be made.
    Raises ObjectChangedError for a ctime that stays ahead of the clock (clock skew).
    """
    from mbom.errors import ObjectChangedError

    deadline = time.monotonic() + RACY_WINDOW_NS / 1e9 + 1.0
    while True:
        horizon = filesystem_horizon(path)
        if ctime_ns < horizon:
            return horizon
        if time.monotonic() > deadline:
            raise ObjectChangedError(
                f"{path}: its change time stays ahead of the clock (skew?); cannot tell that "
                "the bytes inspected are the bytes hashed",
                path=path,
            )
        time.sleep(0.002)
