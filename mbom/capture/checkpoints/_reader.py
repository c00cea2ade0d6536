"""Bounded binary reading shared by the checkpoint parsers.

Checkpoint headers are attacker-controlled: every length they declare is checked against the
bytes actually left in the file before anything is allocated or read, so a forged length can
neither exhaust memory nor make a parser read past the end. Failures become one-line
:class:`~mbom.errors.MalformedFileError` / :class:`~mbom.errors.UnreadableFileError` messages
that name the file.

Every read of a file goes through :func:`open_bounded`, which checks each descriptor against
:func:`mbom._pinned.pinned` when it is opened and after its last read: what the readers
report is then about the bytes that were hashed (mbom.capture.inspection).
"""

from __future__ import annotations

import os
import stat
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from mbom._pinned import check_pinned
from mbom.errors import MalformedFileError, UnreadableFileError


class BoundedReader:
    """Reads a binary file through a cursor that never goes past the file's size."""

    __slots__ = ("_fh", "path", "size")

    def __init__(self, fh: BinaryIO, path: str, size: int) -> None:
        self._fh = fh
        self.path = path
        self.size = size

    def malformed(self, message: str) -> MalformedFileError:
        """An error for this file: ``"<path>: <message>"``."""
        return MalformedFileError(f"{self.path}: {message}", path=self.path)

    @property
    def stream(self) -> BinaryIO:
        """The underlying file, for consumers that bound their own reads (the pickle scan)."""
        return self._fh

    def tell(self) -> int:
        """Current offset from the start of the file."""
        return self._fh.tell()

    def remaining(self, end: int | None = None) -> int:
        """Bytes left before ``end`` (default: the end of the file)."""
        return max(0, (self.size if end is None else end) - self.tell())

    def seek(self, offset: int) -> None:
        """Move to an absolute offset inside the file."""
        if not 0 <= offset <= self.size:
            raise self.malformed(f"offset {offset} is outside the file ({self.size} bytes)")
        self._fh.seek(offset)

    def read_exact(self, count: int, what: str, *, end: int | None = None) -> bytes:
        """Read exactly ``count`` bytes, or fail naming ``what`` was truncated."""
        left = self.remaining(end)
        if count < 0 or count > left:
            raise self.malformed(f"truncated {what}: needs {count} bytes, {left} left")
        data = self._fh.read(count)
        if len(data) != count:
            raise self.malformed(f"truncated {what}: file shrank while being read")
        return data

    def skip(self, count: int, what: str, *, end: int | None = None) -> None:
        """Move forward ``count`` bytes without reading them."""
        left = self.remaining(end)
        if count < 0 or count > left:
            raise self.malformed(f"truncated {what}: needs {count} bytes, {left} left")
        self._fh.seek(count, os.SEEK_CUR)

    def unpack(self, fmt: str, what: str, *, end: int | None = None) -> tuple[int | float, ...]:
        """Read and unpack one fixed-size ``struct`` record."""
        return struct.unpack(fmt, self.read_exact(struct.calcsize(fmt), what, end=end))


def display_path(path: str | os.PathLike[str]) -> str:
    """The spelling of ``path`` used in messages."""
    return os.fspath(path)


@contextmanager
def open_bounded(path: str | os.PathLike[str]) -> Iterator[BoundedReader]:
    """Open a regular file for bounded reading; I/O problems become UnreadableFileError."""
    name = display_path(path)
    try:
        fh = open(path, "rb")  # noqa: SIM115 -- closed below, errors mapped in between
    except OSError as exc:
        raise UnreadableFileError(f"{name}: cannot open: {exc.strerror or exc}", path=name) from exc
    try:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFileError(f"{name}: not a regular file", path=name)
        check_pinned(name, info)
        try:
            yield BoundedReader(fh, name, info.st_size)
        except OSError as exc:
            raise UnreadableFileError(
                f"{name}: read error: {exc.strerror or exc}", path=name
            ) from exc
        finally:
            check_pinned(name, os.fstat(fh.fileno()))  # after the last read
    finally:
        fh.close()


def read_prefix(path: str | os.PathLike[str], count: int) -> tuple[bytes, int]:
    """The first ``count`` bytes of a file (fewer if it is shorter), and its size."""
    with open_bounded(path) as reader:
        return reader.read_exact(min(count, reader.size), "file start"), reader.size
