"""Find every pickle in a file by its bytes, whatever its name, suffix or role.

A loader does not care what a file is called: ``torch.load("training_args.bin")``,
``joblib.load("model.yaml")`` and ``numpy.load(f, allow_pickle=True)`` unpickle whatever the
bytes are. So the scanner decides by content, recursively:

* compressed (gzip, bz2, xz, lzma, zlib, zstd, lz4: what joblib writes) -> the decompressed
  content, scanned again;
* a zip archive (``torch.save``, ``.npz``, any zip) -> every member, scanned again;
* a ``.npy`` array -> its header; an object array's data is a pickle;
* anything else -> a stream of consecutive pickles (any protocol, with or without the
  ``PROTO`` opcode); a legacy ``torch.save`` file (first pickle = torch's magic number,
  however it is encoded) has all five of its pickles scanned.

Work is bounded: nesting depth (:data:`MAX_DEPTH`), members per archive, pickles per stream,
and decompressed bytes per file (:class:`~.streams.Budget`). Whatever is not scanned because of
a limit or a missing decompressor becomes an issue, so the file is not safe to load.
"""

from __future__ import annotations

import io
import lzma
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Final

from mbom.capture.checkpoints.npy import NPY_MAGIC, NpyHeaderError, read_npy_header
from mbom.capture.checkpoints.pickle_scan import scan_pickle
from mbom.capture.checkpoints.results import NumpyDetails, PickleScan
from mbom.capture.checkpoints.streams import (
    Budget,
    NotScanned,
    Stream,
    compression_of,
    decompressing,
)

ZIP_MAGIC: Final = b"PK\x03\x04"
LEGACY_MAGIC: Final = 0x1950A86A20F9469CFC6C
LEGACY_PICKLES: Final = 5  # magic number, protocol version, sys info, the object, storage keys
MAX_DEPTH: Final = 4
MAX_MEMBERS: Final = 10_000
MAX_PICKLES: Final = 64
MAX_NESTED_ZIP: Final = 256 << 20
"""A zip inside a compressed stream or another zip is buffered in memory up to this size."""

Opener = Callable[[], AbstractContextManager[Stream]]
MEMBER_ERRORS: Final = (
    NotImplementedError,  # unsupported compression
    RuntimeError,  # encrypted member
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    ValueError,
    zlib.error,
    lzma.LZMAError,
)


@dataclass(frozen=True, slots=True)
class Found:
    """What the content scan found in one stream (or archive): the pickles and the issues."""

    format: str
    pickles: tuple[PickleScan, ...] = ()
    issues: tuple[str, ...] = ()
    compression: str | None = None
    numpy: NumpyDetails | None = None


class ContentScanner:
    """Scans the streams of one file; ``budget`` is shared by all of them."""

    def __init__(self, budget: Budget | None = None) -> None:
        self.budget = budget or Budget()

    def content(self, open_: Opener, source: str, size: int | None, depth: int = 0) -> Found | None:
        """Classify and scan one stream; None when it holds nothing a loader would unpickle."""
        with open_() as stream:
            head = stream.peek(16)
        kind = compression_of(head)
        if kind is not None:
            found = self._compressed(kind, open_, source, depth)
            if found is not _PLAIN:
                return found
        if head.startswith(ZIP_MAGIC):
            return self._nested_zip(open_, source, size, depth)
        with open_() as stream:
            if head.startswith(NPY_MAGIC):
                return self._npy(stream, source, size)
            return self.pickles(stream, source, size)

    def pickles(
        self, stream: Stream, source: str, size: int | None, *, force: bool = False
    ) -> Found | None:
        """Scan consecutive pickles from the stream's position (``force``: keep a broken one)."""
        limit = size if size is not None else 1 << 62  # unknown length: the budget bounds it
        scans: list[PickleScan] = []
        legacy = False
        issues: list[str] = []
        while True:
            left = limit - stream.tell()
            if left <= 0 or not stream.peek(1):
                break
            if len(scans) >= (LEGACY_PICKLES if legacy else MAX_PICKLES):
                if not legacy:
                    issues.append(f"{source}: more than {MAX_PICKLES} pickles: rest not scanned")
                break
            label = source if not scans else f"{source} (pickle {len(scans) + 1})"
            scan = scan_pickle(stream, label, limit=left)
            if not (scan.is_pickle or legacy or (force and not scans)):
                break  # trailing bytes that no unpickler could turn into a call
            scans.append(scan)
            legacy = legacy or (len(scans) == 1 and scan.constant == LEGACY_MAGIC)
            if scan.errors:
                break
        if not scans:
            return None
        if stream.failed:
            issues.append(f"{source}: read error after the pickles: {stream.failed}")
        globals_ = {g.module for scan in scans for g in scan.globals}
        if legacy:
            fmt = "pytorch-legacy"
        elif any(m == "joblib" or m.startswith("joblib.") for m in globals_):
            fmt = "joblib"
        else:
            fmt = "pickle"
        return Found(fmt, tuple(scans), tuple(issues))

    def members(
        self, archive: zipfile.ZipFile, prefix: str, depth: int
    ) -> tuple[list[PickleScan], list[str], list[str]]:
        """Scan every member of ``archive`` by content: (pickles, issues, member formats)."""
        pickles: list[PickleScan] = []
        issues: list[str] = []
        formats: list[str] = []
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            issues.append(f"{prefix}: more than {MAX_MEMBERS} members: rest not scanned")
        for info in infos[:MAX_MEMBERS]:
            if info.is_dir():
                continue
            name = f"{prefix}{info.filename}"
            if info.flag_bits & 0x1:
                issues.append(f"{name}: encrypted archive member: not scanned")
                continue
            try:
                found = self._member(archive, info, name, depth)
            except NotScanned as exc:
                issues.append(f"{name}: {exc}")
                continue
            except MEMBER_ERRORS as exc:
                issues.append(f"{name}: cannot read archive member: {_one_line(exc)}")
                continue
            if found is not None:
                pickles += found.pickles
                issues += found.issues
                formats.append(found.format)
        return pickles, issues, formats

    def _member(
        self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, depth: int
    ) -> Found | None:
        counted = self.budget if info.compress_type != zipfile.ZIP_STORED else None

        @contextmanager
        def open_() -> Iterator[Stream]:
            with archive.open(info) as member:
                yield Stream(member.read, counted)

        if name.endswith(".pkl"):
            # torch.load unpickles data.pkl whatever it holds: a broken one is reported.
            with open_() as stream:
                return self.pickles(stream, name, info.file_size, force=True)
        return self.content(open_, name, info.file_size, depth + 1)

    def _compressed(self, kind: str, open_: Opener, source: str, depth: int) -> Found | None:
        label = f"{source} ({kind})"
        if depth >= MAX_DEPTH:
            return Found("compressed", issues=(f"{label}: nested too deep: not scanned",))

        @contextmanager
        def inner() -> Iterator[Stream]:
            with open_() as raw:
                yield decompressing(kind, raw, self.budget)  # type: ignore[arg-type]

        try:
            with inner() as stream:
                started = bool(stream.peek(1))
        except NotScanned as exc:
            return Found("compressed", issues=(f"{source}: {exc}",), compression=kind)
        except OSError:
            started = False
        if not started:
            return _PLAIN  # the magic bytes were a coincidence: not compressed data
        try:
            found = self.content(inner, label, None, depth + 1)
        except OSError as exc:  # corrupt data, or the budget ran out, before a verdict
            return Found("compressed", issues=(f"{label}: {_one_line(exc)}",), compression=kind)
        if found is None:
            return None
        compression = kind if found.compression is None else f"{kind}+{found.compression}"
        return Found(found.format, found.pickles, found.issues, compression, found.numpy)

    def _nested_zip(self, open_: Opener, source: str, size: int | None, depth: int) -> Found | None:
        if depth >= MAX_DEPTH:
            return Found("zip", issues=(f"{source}: zip nested too deep: not scanned",))
        if size is not None and size > MAX_NESTED_ZIP:
            return Found("zip", issues=(f"{source}: nested zip over {MAX_NESTED_ZIP} bytes",))
        with open_() as stream:
            data = stream.read(MAX_NESTED_ZIP + 1)
        if len(data) > MAX_NESTED_ZIP:
            return Found("zip", issues=(f"{source}: nested zip over {MAX_NESTED_ZIP} bytes",))
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                pickles, issues, formats = self.members(archive, f"{source}/", depth + 1)
                names = [i.filename for i in archive.infolist() if not i.is_dir()]
        except MEMBER_ERRORS as exc:
            return Found("zip", issues=(f"{source}: unreadable nested zip: {_one_line(exc)}",))
        fmt = zip_format(names, formats, bool(pickles or issues))
        return None if fmt is None else Found(fmt, tuple(pickles), tuple(issues))

    def _npy(self, stream: Stream, source: str, size: int | None) -> Found:
        try:
            header = read_npy_header(stream.read)
        except NpyHeaderError as exc:
            details = NumpyDetails(descr="?", shape=(), fortran_order=False, object_dtype=True)
            return Found(
                "numpy", issues=(f"{source}: unreadable .npy header: {exc}",), numpy=details
            )
        pickles: tuple[PickleScan, ...] = ()
        issues: tuple[str, ...] = ()
        if header.object_dtype:
            found = self.pickles(stream, f"{source} (object array)", size, force=True)
            pickles = found.pickles if found else ()
            if not pickles:
                issues = (f"{source}: object array without a readable pickle",)
        details = NumpyDetails(
            descr=header.descr,
            shape=header.shape,
            fortran_order=header.fortran_order,
            object_dtype=header.object_dtype,
            pickles=pickles,
        )
        return Found("numpy", pickles, issues, numpy=details)


_PLAIN: Final = Found("plain")


def zip_format(names: list[str], formats: list[str], pickled: bool) -> str | None:
    """``pytorch`` / ``numpy-npz`` / ``zip``, or None for a zip holding nothing loadable."""
    if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
        return "pytorch"
    npy = names and all(n.endswith(".npy") for n in names) and len(formats) == len(names)
    if npy and all(f == "numpy" for f in formats):
        return "numpy-npz"
    return "zip" if pickled else None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
