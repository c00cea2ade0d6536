"""PyTorch checkpoints (``torch.save`` zip archives and legacy raw pickles), read without torch.

``torch.load`` unpickles, so a checkpoint can run arbitrary code. This module lists a zip
archive from its central directory (names and sizes), counts the tensor storages
(``<archive>/data/<key>`` members) and has :mod:`~mbom.capture.checkpoints.content` scan every
member by its bytes (not its name). Any other file goes through the same content scan
(:func:`scan_file`): compressed streams, ``.npy`` arrays, and raw pickle streams, a legacy
``torch.save`` file's five pickles included. Nothing is unpickled.
"""

from __future__ import annotations

import lzma
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from mbom.capture.checkpoints._reader import display_path, open_bounded, read_prefix
from mbom.capture.checkpoints.content import (
    MEMBER_ERRORS,
    ZIP_MAGIC,
    ContentScanner,
    Found,
    zip_format,
)
from mbom.capture.checkpoints.results import (
    ArchiveMember,
    CheckpointInfo,
    NumpyDetails,
    PyTorchDetails,
)
from mbom.capture.checkpoints.streams import Budget, Stream
from mbom.errors import MalformedFileError, UnreadableFileError

_STORAGE_MEMBER = re.compile(r"(?:^|/)data/[^/]+$")
_SMALL_MEMBER = 64
_MEMBER_ERRORS = (*MEMBER_ERRORS, zlib.error, lzma.LZMAError)
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
    if read_prefix(path, len(ZIP_MAGIC))[0] == ZIP_MAGIC:
        info = read_pytorch_zip(path)
        if info is None:
            name = display_path(path)
            raise MalformedFileError(
                f"{name}: zip archive holds no pickle: not a PyTorch checkpoint", path=name
            )
        return info
    return read_pickle_file(path)


def read_pytorch_zip(path: str | os.PathLike[str]) -> CheckpointInfo | None:
    """Read a zip archive (``torch.save``, ``.npz`` or any zip), every member by content.

    None when no member holds anything a loader would unpickle (and it is not an ``.npz``).
    """
    name = display_path(path)
    scanner = ContentScanner()
    try:
        with open_bounded(path) as reader, zipfile.ZipFile(reader.stream) as archive:
            infos = archive.infolist()
            pickles, issues, formats = scanner.members(archive, "", 0)
            names = [i.filename for i in infos if not i.is_dir()]
            fmt = zip_format(names, formats, bool(pickles or issues))
            if fmt is None:
                return None
            version = _small_text(archive, infos, ("version", ".data/version"))
            byteorder = _small_text(archive, infos, ("byteorder",))
        size = reader.size
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
    torch_like = fmt == "pytorch"
    details = PyTorchDetails(
        legacy=False,
        members=members,
        storage_count=sum(1 for m in members if _STORAGE_MEMBER.search(m.name))
        if torch_like
        else None,
        pickles=tuple(pickles),
        archive_version=version,
        byteorder=byteorder,
        torchscript=torch_like
        and any("/code/" in m.name or m.name.endswith("constants.pkl") for m in members),
    )
    return _info(name, size, fmt, details, issues=tuple(issues), budget=scanner.budget)


def scan_file(path: str | os.PathLike[str]) -> CheckpointInfo | None:
    """Scan a file that is not a zip by content: compressed, ``.npy``, or pickle streams.

    None when nothing in it would be unpickled by a loader.
    """
    scanner = ContentScanner()
    with open_bounded(path) as reader:
        fh = reader.stream

        @contextmanager
        def open_() -> Iterator[Stream]:
            fh.seek(0)
            yield Stream(fh.read, None, skip=lambda count: fh.seek(count, 1))

        found = scanner.content(open_, reader.path, reader.size)
    if found is None and scanner.budget.exceeded:
        found = Found("compressed")
    if found is None:
        return None
    if found.numpy is not None and not found.pickles:
        return _numpy_info(reader.path, reader.size, found)
    details: PyTorchDetails | NumpyDetails
    if found.numpy is not None:
        details = found.numpy
    else:
        details = PyTorchDetails(
            legacy=found.format == "pytorch-legacy",
            members=(),
            storage_count=None,
            pickles=found.pickles,
        )
    return _info(
        reader.path,
        reader.size,
        found.format,
        details,
        issues=found.issues,
        compression=found.compression,
        budget=scanner.budget,
    )


def read_pickle_file(path: str | os.PathLike[str]) -> CheckpointInfo:
    """Scan a raw (or compressed) pickle file statically; MalformedFileError if it is none."""
    info = scan_file(path)
    if info is None:
        name = display_path(path)
        raise MalformedFileError(f"{name}: neither a zip archive nor a pickle stream", path=name)
    return info


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


def _numpy_info(path: str, size: int, found: Found) -> CheckpointInfo:
    header = found.numpy
    assert header is not None
    count = 1
    for dim in header.shape:
        count *= dim
    return CheckpointInfo(
        path=path,
        format="numpy",
        size=size,
        tensor_count=1,
        parameter_count=count,
        dtypes=(header.descr,),
        details=header,
        issues=found.issues,
        compression=found.compression,
    )


def _info(
    path: str,
    size: int,
    fmt: str,
    details: PyTorchDetails | NumpyDetails,
    *,
    issues: tuple[str, ...] = (),
    compression: str | None = None,
    budget: Budget | None = None,
) -> CheckpointInfo:
    scans = details.pickles
    found = {g.qualname: g for scan in scans for g in scan.globals}
    dtypes = {
        _STORAGE_DTYPES[g.name[: -len("Storage")]]
        for g in found.values()
        if g.module == "torch" and g.name.endswith("Storage") and g.name[:-7] in _STORAGE_DTYPES
    }
    problems = [f"{scan.source}: {err}" for scan in scans for err in scan.errors]
    problems += [i for i in issues if i not in problems]
    if budget is not None and budget.exceeded:
        problems.append(f"{path}: more than {budget.limit} decompressed bytes: rest not scanned")
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
        issues=tuple(problems),
        compression=compression,
    )
