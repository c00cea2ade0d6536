"""Safetensors header reader: names, dtypes, shapes and metadata from the JSON header only.

A safetensors file is ``u64 little-endian header length`` + ``JSON header`` + raw tensor bytes.
Only the header is read (never the tensor data), and it is validated the way the reference
implementation validates it before trusting any offset: a bounded header length, a UTF-8 JSON
object, known dtypes, and tensor byte ranges that tile the data section exactly (no gap, no
overlap, nothing left over), each as long as its dtype and shape require.
"""

from __future__ import annotations

import os

from mbom.capture.checkpoints._reader import BoundedReader, open_bounded
from mbom.capture.checkpoints.results import (
    CheckpointInfo,
    SafetensorsDetails,
    TensorInfo,
    frozen_mapping,
)

MAX_HEADER_SIZE = 100_000_000
"""Largest header accepted, in bytes (the reference implementation's limit)."""

DTYPE_BITS: dict[str, int] = {
    "BOOL": 8,
    "F4": 4,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "F8_E4M3FNUZ": 8,
    "F8_E5M2FNUZ": 8,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "C64": 64,
    "F64": 64,
    "I64": 64,
    "U64": 64,
}
"""Bits per element of every dtype the safetensors format defines."""

_METADATA_KEY = "__metadata__"
_SHOWN_NAME = 80


def read_safetensors(path: str | os.PathLike[str]) -> CheckpointInfo:
    """Parse and validate a safetensors header; raise MalformedFileError if it is not sound."""
    with open_bounded(path) as reader:
        if reader.size < 8:
            raise reader.malformed(
                f"not a safetensors file: {reader.size} bytes, shorter than the 8-byte length"
            )
        (length,) = reader.unpack("<Q", "header length")
        if length > MAX_HEADER_SIZE:
            raise reader.malformed(
                f"safetensors header length {length} exceeds the {MAX_HEADER_SIZE}-byte limit"
            )
        if length > reader.size - 8:
            raise reader.malformed(
                f"safetensors header length {length} is larger than the file ({reader.size} bytes)"
            )
        raw = reader.read_exact(int(length), "safetensors header")
        header = _decode_header(reader, raw)
        data_size = reader.size - 8 - int(length)
        metadata = _metadata(reader, header.pop(_METADATA_KEY, None))
        tensors = _validated_tensors(reader, header, data_size)

    return CheckpointInfo(
        path=reader.path,
        format="safetensors",
        size=reader.size,
        tensor_count=len(tensors),
        parameter_count=sum(t.numel for t in tensors),
        dtypes=tuple(sorted({t.dtype for t in tensors})),
        metadata=frozen_mapping(metadata),
        details=SafetensorsDetails(header_size=int(length), data_size=data_size, tensors=tensors),
    )


def _decode_header(reader: BoundedReader, raw: bytes) -> dict[str, object]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise reader.malformed(
            f"safetensors header is not valid UTF-8 (byte {exc.start})"
        ) from None
    if not text.startswith("{"):
        raise reader.malformed("safetensors header does not start with '{'")
    from mbom.load import load_json

    header = load_json(text, f"{reader.path} (safetensors header)", path=reader.path)
    if not isinstance(header, dict):
        raise reader.malformed("safetensors header is not a JSON object")
    return header


def _metadata(reader: BoundedReader, value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise reader.malformed("safetensors __metadata__ must map strings to strings")
    return value


def _validated_tensors(
    reader: BoundedReader, header: dict[str, object], data_size: int
) -> tuple[TensorInfo, ...]:
    entries: list[tuple[int, int, TensorInfo]] = []
    for name, entry in header.items():
        begin, end, info = _tensor_entry(reader, name, entry)
        entries.append((begin, end, info))
    entries.sort(key=lambda item: (item[0], item[1]))

    expected_start = 0
    for begin, end, info in entries:
        if begin != expected_start or end < begin:
            raise reader.malformed(
                f"tensor {_shown(info.name)}: data_offsets [{begin}, {end}] overlap or leave a "
                f"gap (expected start {expected_start})"
            )
        bits = info.numel * DTYPE_BITS[info.dtype]
        if bits % 8:
            raise reader.malformed(
                f"tensor {_shown(info.name)}: {info.numel} x {info.dtype} is not a whole byte count"
            )
        if end - begin != bits // 8:
            raise reader.malformed(
                f"tensor {_shown(info.name)}: data_offsets span {end - begin} bytes but "
                f"{info.dtype}{list(info.shape)} needs {bits // 8}"
            )
        expected_start = end
    if expected_start != data_size:
        raise reader.malformed(
            f"safetensors tensors cover {expected_start} bytes but the data section holds "
            f"{data_size}"
        )
    return tuple(info for _, _, info in entries)


def _tensor_entry(reader: BoundedReader, name: str, entry: object) -> tuple[int, int, TensorInfo]:
    where = f"tensor {_shown(name)}"
    if not isinstance(entry, dict):
        raise reader.malformed(f"{where}: entry is not a JSON object")
    dtype = entry.get("dtype")
    if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
        raise reader.malformed(f"{where}: unknown dtype {_shown(str(dtype))}")
    shape = entry.get("shape")
    if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
        raise reader.malformed(f"{where}: shape must be a list of non-negative integers")
    offsets = entry.get("data_offsets")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(map(_is_count, offsets)):
        raise reader.malformed(f"{where}: data_offsets must be two non-negative integers")
    return offsets[0], offsets[1], TensorInfo(name=name, dtype=dtype, shape=tuple(shape))


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _shown(name: str) -> str:
    """A one-line, bounded rendering of a name taken from the file."""
    text = repr(name)
    return text if len(text) <= _SHOWN_NAME else text[: _SHOWN_NAME - 3] + "..."
