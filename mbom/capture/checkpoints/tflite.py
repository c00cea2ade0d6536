"""TensorFlow Lite model reader: the flatbuffer's Model table header, no TensorFlow needed.

Usage::

    from mbom.capture.checkpoints.tflite import is_tflite, read_tflite

    if is_tflite(head):
        info = read_tflite("model.tflite")   # info.details.schema_version, .description

A ``.tflite`` file is a flatbuffer whose file identifier (bytes 4 to 8) is ``TFL3``. Only the
root ``Model`` table is read: ``version`` (field 0), the number of ``subgraphs`` (field 2) and
``description`` (field 3). Every offset is checked against the file size before it is
followed, so a forged offset is a :class:`~mbom.errors.MalformedFileError`, never a read past
the end. Loading a TFLite model runs no Python (see :mod:`.safety`).
"""

from __future__ import annotations

import os
from typing import Final

from mbom.capture.checkpoints._reader import BoundedReader, open_bounded
from mbom.capture.checkpoints.results import CheckpointInfo, TFLiteDetails, frozen_mapping

TFLITE_IDENTIFIER: Final = b"TFL3"
MAX_DESCRIPTION: Final = 4096
_VERSION, _SUBGRAPHS, _DESCRIPTION = 0, 2, 3


def is_tflite(head: bytes) -> bool:
    """``head`` starts with a flatbuffer root offset and the ``TFL3`` identifier."""
    return len(head) >= 8 and head[4:8] == TFLITE_IDENTIFIER


def read_tflite(path: str | os.PathLike[str]) -> CheckpointInfo:
    """Read the Model table's header fields; MalformedFileError on any bad offset."""
    with open_bounded(path) as r:
        table = _u32(r, 0, "root table offset")
        vtable = table - _i32(r, table, "vtable offset")
        vtable_size = _u16(r, vtable, "vtable size")

        def field(index: int) -> int | None:
            """Absolute position of field ``index``, or None when absent."""
            slot = 4 + 2 * index
            if slot + 2 > vtable_size:
                return None
            offset = _u16(r, vtable + slot, f"offset of field {index}")
            return table + offset if offset else None

        at = field(_VERSION)
        version = _u32(r, at, "Model.version") if at is not None else None
        at = field(_SUBGRAPHS)
        subgraphs = _u32(r, _deref(r, at, "Model.subgraphs"), "subgraph count") if at else None
        at = field(_DESCRIPTION)
        description = _string(r, _deref(r, at, "Model.description")) if at else None
        details = TFLiteDetails(
            schema_version=version, description=description, subgraphs=subgraphs
        )
        return CheckpointInfo(
            path=r.path,
            format="tflite",
            size=r.size,
            tensor_count=None,
            parameter_count=None,
            dtypes=(),
            details=details,
            metadata=frozen_mapping(),
        )


def _deref(r: BoundedReader, at: int, what: str) -> int:
    """A flatbuffer uoffset: the position it stores is relative to its own."""
    return at + _u32(r, at, what)


def _string(r: BoundedReader, at: int) -> str:
    length = _u32(r, at, "description length")
    r.seek(at + 4)
    raw = r.read_exact(min(length, MAX_DESCRIPTION), "TFLite Model.description")
    return raw.decode("utf-8", "replace")


def _read(r: BoundedReader, at: int, fmt: str, what: str) -> int:
    if not 0 <= at <= r.size:
        raise r.malformed(f"TFLite {what} at offset {at} is outside the file ({r.size} bytes)")
    r.seek(at)
    return int(r.unpack(fmt, f"TFLite {what}")[0])


def _u32(r: BoundedReader, at: int, what: str) -> int:
    return _read(r, at, "<I", what)


def _i32(r: BoundedReader, at: int, what: str) -> int:
    return _read(r, at, "<i", what)


def _u16(r: BoundedReader, at: int, what: str) -> int:
    return _read(r, at, "<H", what)
