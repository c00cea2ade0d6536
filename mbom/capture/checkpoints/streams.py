"""Bounded, forward-only byte streams over compressed data and archive members.

joblib writes pickles through gzip, bz2, xz, lzma, zlib or lz4, and a checkpoint may hide a
pickle in a zip member or a compressed stream. The scanner reads such content through
:class:`Stream`: forward-only (seeks forward by reading), with a look-ahead for sniffing, and
counting decompressed bytes against a per-file :class:`Budget`, so a decompression bomb stops
the scan (and the file is then not safe to load) instead of exhausting time or memory.

zstd and lz4 need PyPI packages (``zstandard``, ``lz4``), imported only when such a stream is
met; without them the stream is reported as not scanned (:class:`NotScanned`), never as safe.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from collections.abc import Callable
from typing import BinaryIO, Final

MAX_DECOMPRESSED: Final = 1 << 30
"""Decompressed (or archive-member) bytes read per file before the scan gives up."""

_CHUNK: Final = 1 << 16


class NotScanned(Exception):
    """Content that could not be examined (missing decompressor, limit reached)."""


class BudgetExceeded(OSError):
    """More than the per-file budget of bytes was decompressed."""


class Budget:
    """Bytes left to decompress for one file; shared by every stream opened for it."""

    __slots__ = ("exceeded", "left", "limit")

    def __init__(self, limit: int | None = None) -> None:
        self.limit = MAX_DECOMPRESSED if limit is None else limit
        self.left = self.limit
        self.exceeded = False

    def take(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            self.exceeded = True
            raise BudgetExceeded(f"more than {self.limit} decompressed bytes: rest not scanned")


class Stream:
    """Forward-only reader with ``peek``; satisfies the pickle scanner's ByteStream protocol."""

    __slots__ = ("_budget", "_buffer", "_pos", "_read", "_skip", "failed")

    def __init__(
        self,
        read: Callable[[int], bytes],
        budget: Budget | None,
        *,
        skip: Callable[[int], object] | None = None,
    ) -> None:
        self._read = read
        self._budget = budget
        self._skip = skip
        self.failed: str | None = None  # the error a look-ahead met, if any
        self._buffer = b""
        self._pos = 0

    def _pull(self, count: int) -> bytes:
        data = self._read(min(max(count, 1), _CHUNK))
        if self._budget is not None and data:
            self._budget.take(len(data))
        return data

    def peek(self, count: int) -> bytes:
        """Up to ``count`` bytes from the current position, without consuming them.

        A stream error (corrupt data, budget spent) ends the look-ahead early instead of
        raising: the next read raises it where the scanner records it."""
        while len(self._buffer) < count:
            try:
                data = self._pull(count - len(self._buffer))
            except OSError as exc:
                self.failed = str(exc) or type(exc).__name__
                break
            if not data:
                break
            self._buffer += data
        return self._buffer[:count]

    def read(self, count: int = -1, /) -> bytes:
        parts = []
        want = count if count >= 0 else 1 << 62
        while want > 0:
            if self._buffer:
                part, self._buffer = self._buffer[:want], self._buffer[want:]
            else:
                part = self._pull(want)
                if not part:
                    break
            parts.append(part)
            want -= len(part)
        data = b"".join(parts)
        self._pos += len(data)
        return data

    def readline(self, size: int = -1, /) -> bytes:
        limit = size if size >= 0 else 1 << 62
        line = b""
        while len(line) < limit:
            chunk = self.peek(min(limit - len(line), _CHUNK) + len(self._buffer))
            if not chunk:
                break
            cut = chunk.find(b"\n", 0, limit - len(line))
            take = cut + 1 if cut >= 0 else min(len(chunk), limit - len(line))
            line += self.read(take)
            if cut >= 0:
                break
        return line

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0, /) -> int:
        target = offset if whence == 0 else self._pos + offset
        if whence not in (0, 1) or target < self._pos:
            raise OSError("backward seek on a forward-only stream")
        if self._skip is not None and target - self._pos > len(self._buffer):
            gap = target - self._pos - len(self._buffer)
            self._skip(gap)
            self._buffer = b""
            self._pos = target
        while self._pos < target:
            if not self.read(min(target - self._pos, _CHUNK)):
                break
        return self._pos


COMPRESSIONS: Final = ("gzip", "bz2", "xz", "lzma", "zlib", "zstd", "lz4")


def compression_of(head: bytes) -> str | None:
    """The compression whose magic bytes ``head`` starts with, if any."""
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh") and head[3:4].isdigit():
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x5d\x00\x00"):
        return "lzma"
    if len(head) >= 2 and head[0] == 0x78 and (head[0] << 8 | head[1]) % 31 == 0:
        return "zlib"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    if head.startswith(b"\x04\x22\x4d\x18"):
        return "lz4"
    return None


def decompressing(kind: str, raw: BinaryIO, budget: Budget) -> Stream:
    """A :class:`Stream` of ``raw`` decompressed as ``kind``; NotScanned if it cannot be."""
    read = _reader(kind, raw)

    def guarded(count: int) -> bytes:
        try:
            return read(count)
        except (OSError, EOFError, ValueError, RuntimeError, zlib.error, lzma.LZMAError) as exc:
            raise OSError(f"corrupt {kind} stream: {exc}") from None
        except Exception as exc:  # zstandard.ZstdError and other third-party errors
            raise OSError(f"corrupt {kind} stream: {type(exc).__name__}") from None

    return Stream(guarded, budget)


def _reader(kind: str, raw: BinaryIO) -> Callable[[int], bytes]:
    if kind == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb").read
    if kind == "bz2":
        return bz2.BZ2File(raw).read
    if kind in ("xz", "lzma"):
        return lzma.LZMAFile(raw).read
    if kind == "zlib":
        return _zlib_reader(raw)
    if kind == "zstd":
        try:
            import zstandard
        except ImportError:
            raise NotScanned("compressed with zstd: not scanned (install zstandard)") from None
        return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True).read
    if kind == "lz4":
        try:
            import lz4.frame
        except ImportError:
            raise NotScanned("compressed with lz4: not scanned (install lz4)") from None
        return lz4.frame.LZ4FrameFile(raw, mode="rb").read
    raise NotScanned(f"unknown compression {kind}")


def _zlib_reader(raw: BinaryIO) -> Callable[[int], bytes]:
    inflater = zlib.decompressobj()

    def read(count: int) -> bytes:
        while not inflater.eof:
            source = inflater.unconsumed_tail or raw.read(_CHUNK)
            if not source:
                return b""
            data = inflater.decompress(source, count)
            if data:
                return data
        return b""

    return read
