"""PyTorch checkpoints (``torch.save`` zip archives and legacy raw pickles), read without torch.

``torch.load`` unpickles, so a checkpoint can run arbitrary code. This module lists the zip
archive from its central directory (names and sizes; tensor data is never extracted), counts the
tensor storages (``<archive>/data/<key>`` members) and runs every ``.pkl`` member through the
static :mod:`~mbom.capture.checkpoints.pickle_scan`. A legacy checkpoint (a raw pickle stream,
written by ``torch.save(..., _use_new_zipfile_serialization=False)`` or by ``pickle.dump``) is
scanned directly; the legacy torch layout's five consecutive pickles are all scanned.
"""

from __future__ import annotations

import lzma
import os
import re
import struct
import zipfile
import zlib

from mbom.capture.checkpoints._reader import BoundedReader, display_path, open_bounded, read_prefix
from mbom.capture.checkpoints.pickle_scan import scan_pickle
from mbom.capture.checkpoints.results import (
    ArchiveMember,
    CheckpointInfo,
    PickleScan,
    PyTorchDetails,
)
from mbom.errors import MalformedFileError, UnreadableFileError

ZIP_MAGIC = b"PK\x03\x04"
"""A zip local file header: how torch.load tells an archive from a legacy pickle."""

_LEGACY_MAGIC = (0x1950A86A20F9469CFC6C).to_bytes(10, "little")
_LEGACY_PICKLES = 5  # magic number, protocol version, sys info, the object, storage keys
_STORAGE_MEMBER = re.compile(r"(?:^|/)data/[^/]+$")
_SMALL_MEMBER = 64
_MEMBER_ERRORS = (
    NotImplementedError,  # unsupported compression
    RuntimeError,  # encrypted member
    zipfile.BadZipFile,  # bad local header or CRC
    OSError,
    EOFError,
    zlib.error,
    lzma.LZMAError,
)
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,  # unsupported zip version or compression
    EOFError,
    ValueError,
    struct.error,
)
_STORAGE_DTYPES = {
    "Double": "float64",
    "Float": "float32",
    "Half": "float16",
    "BFloat16": "bfloat16",
    "Long": "int64",
    "Int": "int32",
    "Short": "int16",
    "Char": "int8",
    "Byte": "uint8",
    "Bool": "bool",
    "ComplexFloat": "complex64",
    "ComplexDouble": "complex128",
    "QInt8": "qint8",
    "QUInt8": "quint8",
    "QInt32": "qint32",
    "QUInt4x2": "quint4x2",
    "QUInt2x4": "quint2x4",
}


def read_pytorch(path: str | os.PathLike[str]) -> CheckpointInfo:
    """Read a PyTorch checkpoint, zip or legacy pickle; MalformedFileError if it is neither.

    Zip or not is decided by the first four bytes, as ``torch.load`` decides: a pickle with a
    zip archive appended is loaded by torch as a pickle, so it must be scanned as one.
    """
    if read_prefix(path, len(ZIP_MAGIC)) == ZIP_MAGIC:
        info = read_pytorch_zip(path)
        if info is None:
            name = display_path(path)
            raise MalformedFileError(
                f"{name}: zip archive holds no pickle: not a PyTorch checkpoint", path=name
            )
        return info
    return read_pickle_file(path)


def read_pytorch_zip(path: str | os.PathLike[str]) -> CheckpointInfo | None:
    """Read a ``torch.save`` zip archive; None when the zip holds no ``.pkl`` member."""
    name = display_path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if not any(i.filename.endswith(".pkl") for i in infos):
                return None
            scans = tuple(_scan_member(archive, i) for i in infos if i.filename.endswith(".pkl"))
            version = _small_text(archive, infos, ("version", ".data/version"))
            byteorder = _small_text(archive, infos, ("byteorder",))
        size = os.path.getsize(path)
    except _ZIP_ERRORS as exc:
        raise MalformedFileError(f"{name}: unreadable zip archive: {exc}", path=name) from None
    except OSError as exc:
        raise UnreadableFileError(
            f"{name}: cannot read: {exc.strerror or exc}", path=name
        ) from None

    members = tuple(
        ArchiveMember(name=i.filename, size=i.file_size, compressed_size=i.compress_size)
        for i in infos
    )
    details = PyTorchDetails(
        legacy=False,
        members=members,
        storage_count=sum(1 for m in members if _STORAGE_MEMBER.search(m.name)),
        pickles=scans,
        archive_version=version,
        byteorder=byteorder,
        torchscript=any("/code/" in m.name or m.name.endswith("constants.pkl") for m in members),
    )
    return _info(name, size, "pytorch", details)


def read_pickle_file(path: str | os.PathLike[str]) -> CheckpointInfo:
    """Scan a raw pickle file (legacy ``torch.save`` or ``pickle.dump`` output) statically."""
    with open_bounded(path) as reader:
        head = reader.read_exact(min(reader.size, 15), "pickle start")
        reader.seek(0)
        legacy = head[:1] == b"\x80" and head[2:] == b"\x8a\x0a" + _LEGACY_MAGIC + b"."
        scans = _scan_consecutive(reader, _LEGACY_PICKLES if legacy else 1)
    first = scans[0]
    if first.errors and not first.globals:
        # Nothing was imported before the stream broke, so loading could not have run code:
        # this is simply not a pickle. With imports, the findings are returned instead.
        raise reader.malformed(f"neither a zip archive nor a pickle stream ({first.errors[0]})")
    details = PyTorchDetails(legacy=True, members=(), storage_count=None, pickles=scans)
    return _info(reader.path, reader.size, "pytorch-legacy" if legacy else "pickle", details)


def _scan_consecutive(reader: BoundedReader, count: int) -> tuple[PickleScan, ...]:
    scans: list[PickleScan] = []
    for index in range(count):
        source = reader.path if index == 0 else f"{reader.path} (pickle {index + 1})"
        scan = scan_pickle(reader.stream, source, limit=reader.remaining())
        scans.append(scan)
        if scan.errors:
            break
    return tuple(scans)


def _scan_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> PickleScan:
    try:
        with archive.open(info) as member:
            return scan_pickle(member, info.filename, limit=info.file_size)
    except _MEMBER_ERRORS as exc:
        # Encrypted, unsupported compression or a corrupt member: it cannot be cleared.
        return PickleScan(
            source=info.filename,
            protocol=None,
            opcode_count=0,
            globals=(),
            errors=(f"cannot read archive member: {exc}",),
        )


def _small_text(
    archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], names: tuple[str, ...]
) -> str | None:
    """The text of a tiny ``<archive>/<name>`` record such as ``version``, if present."""
    for info in infos:
        _, _, inner = info.filename.partition("/")
        if inner in names and info.file_size <= _SMALL_MEMBER:
            try:
                with archive.open(info) as member:
                    text = member.read(_SMALL_MEMBER).decode("ascii").strip()
            except (UnicodeDecodeError, *_MEMBER_ERRORS):
                return None
            return text or None
    return None


def _info(path: str, size: int, fmt: str, details: PyTorchDetails) -> CheckpointInfo:
    found = {g.qualname: g for scan in details.pickles for g in scan.globals}
    dtypes = {
        _STORAGE_DTYPES[g.name[: -len("Storage")]]
        for g in found.values()
        if g.module == "torch" and g.name.endswith("Storage") and g.name[:-7] in _STORAGE_DTYPES
    }
    return CheckpointInfo(
        path=path,
        format=fmt,
        size=size,
        tensor_count=None,
        parameter_count=None,
        dtypes=tuple(sorted(dtypes)),
        details=details,
        pickle_globals=tuple(sorted(found)),
        unsafe_globals=tuple(sorted(q for q, g in found.items() if g.verdict != "safe")),
        dangerous_globals=tuple(sorted(q for q, g in found.items() if g.verdict == "dangerous")),
        issues=tuple(f"{scan.source}: {err}" for scan in details.pickles for err in scan.errors),
    )
