"""GGUF header reader (llama.cpp format): typed key/values and tensor infos, no tensor data.

The header is ``magic "GGUF"``, ``u32 version`` (2 or 3), ``u64 tensor count``, ``u64 key/value
count``, the typed key/values (scalars, strings, arrays, arrays of arrays) and one info record
per tensor (name, dimensions, ggml type, offset). Every count and length is checked against the
bytes left in the file before it is used; long arrays (a tokenizer vocabulary) are skipped and
recorded by type and length only. Big-endian GGUF files are recognised by their version field.
"""

from __future__ import annotations

import os
import struct

from mbom.capture.checkpoints._reader import BoundedReader, open_bounded
from mbom.capture.checkpoints.results import (
    CheckpointInfo,
    GGUFArray,
    GGUFDetails,
    TensorInfo,
    frozen_mapping,
)

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
MAX_ARRAY_VALUES = 64
"""Arrays up to this length are kept in full; longer ones are recorded by length only."""
MAX_STRING = 1 << 20
"""Longest string value kept; longer ones are recorded as ``<N bytes, not read>``."""
MAX_DIMS = 4
"""GGML_MAX_DIMS: the most dimensions a GGUF tensor may have."""
MAX_NESTING = 8
DEFAULT_ALIGNMENT = 32

_STRING, _ARRAY = 8, 9
_SCALARS: dict[int, tuple[str, str]] = {
    0: ("uint8", "B"),
    1: ("int8", "b"),
    2: ("uint16", "H"),
    3: ("int16", "h"),
    4: ("uint32", "I"),
    5: ("int32", "i"),
    6: ("float32", "f"),
    7: ("bool", "?"),
    10: ("uint64", "Q"),
    11: ("int64", "q"),
    12: ("float64", "d"),
}
_KV_MIN_BYTES = 8 + 4 + 1  # empty key, type, smallest value
_TENSOR_MIN_BYTES = 8 + 4 + 4 + 8  # empty name, n_dims, type, offset

GGML_TYPES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
    10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS",
    17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S",
    23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M", 30: "BF16",
    34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
}  # fmt: skip
"""ggml tensor types (``ggml_type``) by enum value."""

FILE_TYPES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 4: "Q4_1_SOME_F16", 7: "Q8_0", 8: "Q5_0",
    9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
    16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
    22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
    28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0",
    38: "MXFP4_MOE",
}  # fmt: skip
"""``general.file_type`` (llama_ftype, the quantization mix) by enum value."""


def read_gguf(path: str | os.PathLike[str]) -> CheckpointInfo:
    """Read a GGUF header; MalformedFileError when any count, length or type is invalid."""
    with open_bounded(path) as r:
        if r.read_exact(min(4, r.size), "GGUF magic") != GGUF_MAGIC:
            raise r.malformed("not a GGUF file: missing 'GGUF' magic")
        raw_version = r.read_exact(4, "GGUF version")
        order = _byte_order(r, raw_version)
        reader = _GGUFReader(r, order)
        version = struct.unpack(order + "I", raw_version)[0]
        tensor_count = reader.scalar("Q", "tensor count")
        kv_count = reader.scalar("Q", "key/value count")
        if kv_count > r.remaining() // _KV_MIN_BYTES:
            raise r.malformed(f"GGUF key/value count {kv_count} cannot fit in {r.size} bytes")
        metadata: dict[str, object] = {}
        for _ in range(kv_count):
            key = reader.string("metadata key", keep=True)
            if key in metadata:
                raise r.malformed(f"GGUF duplicate metadata key {key!r}")
            metadata[key] = reader.value(reader.scalar("I", f"type of {key!r}"), key)
        if tensor_count > r.remaining() // _TENSOR_MIN_BYTES:
            raise r.malformed(f"GGUF tensor count {tensor_count} cannot fit in {r.size} bytes")
        alignment = _alignment(r, metadata)
        tensors = tuple(reader.tensor_info() for _ in range(tensor_count))
        if len({t.name for t in tensors}) != len(tensors):
            raise r.malformed("GGUF tensor names are not unique")
        data_start = -(-r.tell() // alignment) * alignment
        for tensor, offset in reader.offsets:
            if offset % alignment or data_start + offset > r.size:
                raise r.malformed(
                    f"GGUF tensor {tensor!r} offset {offset} is misaligned or past the end"
                )

    arch = metadata.get("general.architecture")
    arch = arch if isinstance(arch, str) else None
    file_type = _int_or_none(metadata.get("general.file_type"))
    name = metadata.get("general.name")
    details = GGUFDetails(
        version=version,
        byteorder="little" if order == "<" else "big",
        architecture=arch,
        name=name if isinstance(name, str) else None,
        file_type=file_type,
        quantization=None if file_type is None else FILE_TYPES.get(file_type),
        context_length=_int_or_none(metadata.get(f"{arch}.context_length")) if arch else None,
        alignment=alignment,
        tensors=tensors,
    )
    return CheckpointInfo(
        path=r.path,
        format="gguf",
        size=r.size,
        tensor_count=len(tensors),
        parameter_count=sum(t.numel for t in tensors),
        dtypes=tuple(sorted({t.dtype for t in tensors})),
        metadata=frozen_mapping(metadata),
        details=details,
    )


def _byte_order(r: BoundedReader, raw_version: bytes) -> str:
    for order in ("<", ">"):
        if struct.unpack(order + "I", raw_version)[0] in SUPPORTED_VERSIONS:
            return order
    version = struct.unpack("<I", raw_version)[0]
    raise r.malformed(f"unsupported GGUF version {version} (supported: 2, 3)")


def _alignment(r: BoundedReader, metadata: dict[str, object]) -> int:
    value = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0 or value & (value - 1):
        raise r.malformed(f"GGUF general.alignment {value!r} is not a power of two")
    return value


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class _GGUFReader:
    """Typed GGUF values on top of a BoundedReader, in the file's byte order."""

    __slots__ = ("offsets", "order", "r")

    def __init__(self, r: BoundedReader, order: str) -> None:
        self.r = r
        self.order = order
        self.offsets: list[tuple[str, int]] = []

    def scalar(self, code: str, what: str) -> int:
        return int(self.r.unpack(self.order + code, what)[0])

    def string(self, what: str, *, keep: bool) -> str:
        length = self.scalar("Q", f"{what} length")
        if length > self.r.remaining():
            raise self.r.malformed(
                f"GGUF {what} declares {length} bytes, only {self.r.remaining()} left"
            )
        if not keep:
            self.r.skip(length, what)
            return ""
        if length > MAX_STRING:
            self.r.skip(length, what)
            return f"<{length} bytes, not read>"
        raw = self.r.read_exact(length, what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.r.malformed(f"GGUF {what} is not valid UTF-8") from None

    def value(self, value_type: int, key: str, depth: int = 0) -> object:
        if value_type in _SCALARS:
            _, code = _SCALARS[value_type]
            return self.r.unpack(self.order + code, f"value of {key!r}")[0]
        if value_type == _STRING:
            return self.string(f"value of {key!r}", keep=True)
        if value_type == _ARRAY:
            return self.array(key, depth)
        raise self.r.malformed(f"GGUF key {key!r} has unknown value type {value_type}")

    def array(self, key: str, depth: int) -> GGUFArray:
        if depth >= MAX_NESTING:
            raise self.r.malformed(f"GGUF key {key!r}: arrays nested deeper than {MAX_NESTING}")
        element_type = self.scalar("I", f"array type of {key!r}")
        length = self.scalar("Q", f"array length of {key!r}")
        if element_type in _SCALARS:
            type_name, code = _SCALARS[element_type]
            width = struct.calcsize(code)
        elif element_type in (_STRING, _ARRAY):
            type_name, width = ("string", 8) if element_type == _STRING else ("array", 12)
        else:
            raise self.r.malformed(f"GGUF key {key!r} has unknown array type {element_type}")
        if length > self.r.remaining() // width:
            raise self.r.malformed(
                f"GGUF key {key!r}: array of {length} {type_name} values cannot fit in the file"
            )
        keep = length <= MAX_ARRAY_VALUES
        if element_type in _SCALARS and not keep:
            self.r.skip(length * width, f"array {key!r}")
            return GGUFArray(element_type=type_name, length=length)
        values: list[object] = []
        for _ in range(length):
            if element_type == _STRING:
                values.append(self.string(f"element of {key!r}", keep=keep))
            else:
                values.append(self.value(element_type, key, depth + 1))
        return GGUFArray(
            element_type=type_name, length=length, values=tuple(values) if keep else None
        )

    def tensor_info(self) -> TensorInfo:
        name = self.string("tensor name", keep=True)
        n_dims = self.scalar("I", f"dimension count of tensor {name!r}")
        if n_dims > MAX_DIMS:
            raise self.r.malformed(f"GGUF tensor {name!r} has {n_dims} dimensions (max {MAX_DIMS})")
        shape = tuple(self.scalar("Q", f"dimension of tensor {name!r}") for _ in range(n_dims))
        ggml_type = self.scalar("I", f"type of tensor {name!r}")
        offset = self.scalar("Q", f"offset of tensor {name!r}")
        self.offsets.append((name, offset))
        return TensorInfo(
            name=name, dtype=GGML_TYPES.get(ggml_type, f"TYPE_{ggml_type}"), shape=shape
        )
