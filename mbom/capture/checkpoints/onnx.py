"""ONNX model reader with a minimal protobuf wire-format parser: no ``onnx`` package needed.

Only the ModelProto fields an MBOM records are decoded (IR version, producer, domain, model
version, opset imports, metadata_props, and from the graph: its name, input and output names,
node count and initializer names / types / shapes). Everything else, tensor payloads
(``raw_data``, often gigabytes) included, is skipped with a seek and never read. Every length is
checked against the bytes left in its enclosing message, so a forged length cannot make the
reader allocate or run past the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from mbom.capture.checkpoints._reader import BoundedReader, open_bounded
from mbom.capture.checkpoints.results import (
    CheckpointInfo,
    OnnxDetails,
    OpsetImport,
    TensorInfo,
    frozen_mapping,
)

MAX_STRING = 1 << 20
"""Longest name or producer string read; metadata values above it are recorded by size only."""

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5
_DATA_TYPES = (
    "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL",
    "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
    "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4",
    "FLOAT4E2M1", "FLOAT8E8M0",
)  # fmt: skip
"""TensorProto.DataType names, indexed by enum value."""


@dataclass(slots=True)
class _Graph:
    """Mutable accumulator while the graph is streamed (GraphProto may repeat and merge)."""

    name: str | None = None
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    nodes: int = 0
    initializers: list[TensorInfo] = field(default_factory=list)
    sparse_initializers: int = 0
    external_data: bool = False


def read_onnx(path: str | os.PathLike[str]) -> CheckpointInfo:
    """Read an ONNX ModelProto's header fields; MalformedFileError if it does not parse."""
    ir_version = model_version = None
    producer_name = producer_version = domain = None
    opsets: list[OpsetImport] = []
    metadata: dict[str, object] = {}
    graph = _Graph()
    seen_graph = False
    with open_bounded(path) as r:
        for number, wire, value in _fields(r, r.size):
            if number == 1:
                ir_version = _varint_field(r, wire, value, "ir_version")
            elif number == 2:
                producer_name = _string(r, wire, value, "producer_name")
            elif number == 3:
                producer_version = _string(r, wire, value, "producer_version")
            elif number == 4:
                domain = _string(r, wire, value, "domain")
            elif number == 5:
                model_version = _varint_field(r, wire, value, "model_version")
            elif number == 7:
                _expect(r, wire, _LEN, "graph")
                _read_graph(r, r.tell() + value, graph)
                seen_graph = True
            elif number == 8:
                _expect(r, wire, _LEN, "opset_import")
                opsets.append(_read_opset(r, r.tell() + value))
            elif number == 14:
                _expect(r, wire, _LEN, "metadata_props")
                key, text = _read_entry(r, r.tell() + value)
                metadata[key] = text
        if ir_version is None and not seen_graph:
            raise r.malformed("not an ONNX model: no ir_version and no graph")

    details = OnnxDetails(
        ir_version=ir_version,
        producer_name=producer_name,
        producer_version=producer_version,
        domain=domain,
        model_version=model_version,
        opsets=tuple(opsets),
        graph_name=graph.name,
        inputs=tuple(graph.inputs),
        outputs=tuple(graph.outputs),
        node_count=graph.nodes,
        initializer_count=len(graph.initializers) + graph.sparse_initializers,
        external_data=graph.external_data,
    )
    return CheckpointInfo(
        path=r.path,
        format="onnx",
        size=r.size,
        tensor_count=details.initializer_count,
        parameter_count=sum(t.numel for t in graph.initializers),
        dtypes=tuple(sorted({t.dtype for t in graph.initializers})),
        metadata=frozen_mapping(metadata),
        details=details,
    )


def _read_graph(r: BoundedReader, end: int, graph: _Graph) -> None:
    for number, wire, value in _fields(r, end):
        if number == 1:
            _expect(r, wire, _LEN, "graph.node")
            graph.nodes += 1
        elif number == 2:
            graph.name = _string(r, wire, value, "graph.name")
        elif number == 5:
            _expect(r, wire, _LEN, "graph.initializer")
            graph.initializers.append(_read_tensor(r, r.tell() + value, graph))
        elif number == 15:
            _expect(r, wire, _LEN, "graph.sparse_initializer")
            graph.sparse_initializers += 1
        elif number in (11, 12):
            _expect(r, wire, _LEN, "graph.input/output")
            names = graph.inputs if number == 11 else graph.outputs
            names.append(_read_value_info_name(r, r.tell() + value))


def _read_tensor(r: BoundedReader, end: int, graph: _Graph) -> TensorInfo:
    """TensorProto: dims (1), data_type (2), name (8), external data (13, 14); payload skipped."""
    dims: list[int] = []
    data_type = 0
    name = ""
    for number, wire, value in _fields(r, end):
        if number == 1:
            if wire == _LEN:  # packed repeated int64
                stop = r.tell() + value
                while r.tell() < stop:
                    dims.append(_signed64(_varint(r, stop)))
            else:
                dims.append(_signed64(_varint_field(r, wire, value, "tensor.dims")))
        elif number == 2:
            data_type = _varint_field(r, wire, value, "tensor.data_type")
        elif number == 8:
            name = _string(r, wire, value, "tensor.name")
        elif number == 13 or (number == 14 and wire == _VARINT and value == 1):
            graph.external_data = True
    if any(d < 0 for d in dims):
        raise r.malformed(f"initializer {name!r} has a negative dimension {dims}")
    dtype = _DATA_TYPES[data_type] if data_type < len(_DATA_TYPES) else f"TYPE_{data_type}"
    return TensorInfo(name=name, dtype=dtype, shape=tuple(dims))


def _read_opset(r: BoundedReader, end: int) -> OpsetImport:
    domain, version = "", 0
    for number, wire, value in _fields(r, end):
        if number == 1:
            domain = _string(r, wire, value, "opset_import.domain")
        elif number == 2:
            version = _signed64(_varint_field(r, wire, value, "opset_import.version"))
    return OpsetImport(domain=domain, version=version)


def _read_value_info_name(r: BoundedReader, end: int) -> str:
    name = ""
    for number, wire, value in _fields(r, end):
        if number == 1:
            name = _string(r, wire, value, "value_info.name")
    return name


def _read_entry(r: BoundedReader, end: int) -> tuple[str, str]:
    """StringStringEntryProto (key 1, value 2); an oversized value is noted, not read."""
    key, text = "", ""
    for number, wire, value in _fields(r, end):
        if number == 1:
            key = _string(r, wire, value, "metadata_props.key")
        elif number == 2:
            _expect(r, wire, _LEN, "metadata_props.value")
            text = (
                f"<{value} bytes, not read>"
                if value > MAX_STRING
                else _string(r, wire, value, "metadata_props.value")
            )
    return key, text


def _fields(r: BoundedReader, end: int) -> Iterator[tuple[int, int, int]]:
    """Yield ``(field number, wire type, value)`` for each field in ``[tell(), end)``.

    For length-delimited fields ``value`` is the length and the cursor is at the payload;
    whatever the consumer reads of it, the cursor is moved to the payload's end afterwards.
    """
    if end > r.size:
        raise r.malformed(f"protobuf message runs past the end of the file ({end} > {r.size})")
    while r.tell() < end:
        key = _varint(r, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise r.malformed(f"invalid protobuf field number 0 at byte {r.tell()}")
        if wire == _VARINT:
            yield number, wire, _varint(r, end)
        elif wire == _I64:
            yield number, wire, int(r.unpack("<Q", "fixed64 field", end=end)[0])
        elif wire == _I32:
            yield number, wire, int(r.unpack("<I", "fixed32 field", end=end)[0])
        elif wire == _LEN:
            length = _varint(r, end)
            start = r.tell()
            if length > end - start:
                raise r.malformed(
                    f"protobuf field {number} at byte {start} declares {length} bytes, "
                    f"only {end - start} left in its message"
                )
            yield number, wire, length
            r.seek(start + length)
        else:
            raise r.malformed(f"unsupported protobuf wire type {wire} at byte {r.tell()}")


def _varint(r: BoundedReader, end: int) -> int:
    result = 0
    for shift in range(0, 70, 7):
        byte = r.read_exact(1, "protobuf varint", end=end)[0]
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if result >= 1 << 64:
                break
            return result
    raise r.malformed(f"protobuf varint too long at byte {r.tell()}")


def _signed64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _expect(r: BoundedReader, wire: int, expected: int, what: str) -> None:
    if wire != expected:
        raise r.malformed(f"ONNX field {what} has wire type {wire}, expected {expected}")


def _varint_field(r: BoundedReader, wire: int, value: int, what: str) -> int:
    _expect(r, wire, _VARINT, what)
    return value


def _string(r: BoundedReader, wire: int, length: int, what: str) -> str:
    _expect(r, wire, _LEN, what)
    if length > MAX_STRING:
        raise r.malformed(f"ONNX {what} is {length} bytes, over the {MAX_STRING}-byte limit")
    raw = r.read_exact(length, f"ONNX {what}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise r.malformed(f"ONNX {what} is not valid UTF-8") from None
