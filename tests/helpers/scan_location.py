"""A minimal local :class:`mbom.hashing._location.Location` for executor tests (scandir + hashlib).

It stands in for ``mbom.hashing._local.LocalLocation`` where a test needs only the contract
(listing one level, hashing a batch, picklable), and it is importable on Dask workers started
with the repository root on ``PYTHONPATH``. Files are opened with ``os.open`` so a test can
deny one on a worker the way tests/hashing/test_digests.py's ``deny_reading`` does.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence

from mbom.errors import UnreadableFileError
from mbom.hashing import FileDigest
from mbom.hashing._location import Listed, RootInfo

CHUNK = 1024 * 1024


class ScanLocation:
    """A local directory read with ``os.scandir`` (regular files only)."""

    scheme = "file"
    is_local = True

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.path.abspath(root)
        self.display = os.fspath(root)

    def stat_root(self) -> RootInfo:
        if not os.path.exists(self.root):
            return RootInfo(False, False)
        if os.path.isdir(self.root):
            return RootInfo(True, True)
        return RootInfo(True, False, os.path.getsize(self.root))

    def list_dir(self, rel: str) -> tuple[list[str], list[Listed]]:
        dirs, objects = [], []
        with os.scandir(os.path.join(self.root, rel)) as entries:
            for entry in entries:
                child = f"{rel}/{entry.name}" if rel else entry.name
                if entry.is_dir(follow_symlinks=False):
                    dirs.append(child)
                elif entry.is_file(follow_symlinks=False):
                    objects.append(Listed(child, entry.stat(follow_symlinks=False).st_size))
        return dirs, objects

    def find(self) -> Iterator[Listed]:
        if not os.path.isdir(self.root):
            yield Listed(os.path.basename(self.root), os.path.getsize(self.root))
            return
        waiting = [""]
        while waiting:
            dirs, objects = self.list_dir(waiting.pop())
            waiting.extend(dirs)
            yield from objects

    def hash_objects(
        self,
        objects: Sequence[Listed],
        algorithms: Sequence[str],
        *,
        progress: Callable[[int], None] | None = None,
        tolerant: bool = False,
    ) -> list[FileDigest]:
        records = []
        for listed in objects:
            single = not os.path.isdir(self.root)
            path = self.root if single else os.path.join(self.root, listed.rel)
            hashers = [hashlib.new(name) for name in algorithms]
            size = 0
            try:
                with os.fdopen(os.open(path, os.O_RDONLY), "rb") as handle:
                    while chunk := handle.read(CHUNK):
                        size += len(chunk)
                        for hasher in hashers:
                            hasher.update(chunk)
            except OSError as exc:
                raise UnreadableFileError(
                    f"{listed.rel}: read failed: {exc.strerror}", path=listed.rel
                ) from None
            digests = {name: hasher.hexdigest() for name, hasher in zip(algorithms, hashers)}
            records.append(FileDigest(listed.rel, size, digests))
        return records


#: Calls a :class:`Watched` location received in this process (the driver, in a test).
CALLS: list[tuple[str, object]] = []


class Watched:
    """Wraps a location: records the calls made in this process, and pauses before each batch
    is hashed (``pause`` seconds: so a run lasts long enough to lose a worker in)."""

    def __init__(self, inner, pause: float = 0.0) -> None:
        self.inner, self.pause = inner, pause
        self.display, self.scheme, self.is_local = inner.display, inner.scheme, inner.is_local

    def stat_root(self) -> RootInfo:
        CALLS.append(("stat_root", None))
        return self.inner.stat_root()

    def list_dir(self, rel: str) -> tuple[list[str], list[Listed]]:
        CALLS.append(("list_dir", rel))
        return self.inner.list_dir(rel)

    def find(self) -> Iterator[Listed]:
        CALLS.append(("find", None))
        return self.inner.find()

    def hash_objects(self, objects, algorithms, *, progress=None, tolerant=False):
        CALLS.append(("hash_objects", len(objects)))
        if self.pause:
            import time

            time.sleep(self.pause)
        return self.inner.hash_objects(objects, algorithms, progress=progress, tolerant=tolerant)


def local_location(root: str | os.PathLike[str]):
    """mbom's own local Location where it exists, else :class:`ScanLocation`."""
    try:
        from mbom.hashing._local import LocalLocation
    except ImportError:
        return ScanLocation(root)
    return LocalLocation(os.fspath(root))
