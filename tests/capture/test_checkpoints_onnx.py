"""ONNX reading with the built-in protobuf reader, on ModelProtos written by a tiny encoder."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from mbom.capture.checkpoints import inspect_checkpoint, read_onnx
from mbom.errors import MalformedFileError


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def vfield(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def lfield(number: int, payload: bytes | str) -> bytes:
    raw = payload.encode() if isinstance(payload, str) else payload
    return varint(number << 3 | 2) + varint(len(raw)) + raw


def tensor(name: str, dims: list[int], data_type: int = 1, *, packed: bool = False) -> bytes:
    body = (
        b"".join(vfield(1, d) for d in dims)
        if not packed
        else lfield(1, b"".join(map(varint, dims)))
    )
    count = 1
    for dim in dims:
        count *= dim
    return body + vfield(2, data_type) + lfield(8, name) + lfield(9, bytes(4 * count))


def model_bytes() -> bytes:
    graph = b"".join(
        [
            lfield(1, lfield(4, "MatMul") + lfield(1, "x") + lfield(1, "W") + lfield(2, "y")),
            lfield(1, lfield(4, "Add") + lfield(1, "y") + lfield(1, "b") + lfield(2, "z")),
            lfield(2, "tiny_graph"),
            lfield(5, tensor("W", [3, 4])),
            lfield(5, tensor("b", [4], data_type=10, packed=True)),
            lfield(10, "a doc string that is skipped"),
            lfield(11, lfield(1, "x") + lfield(2, b"\x0a\x02\x08\x01")),
            lfield(12, lfield(1, "z")),
        ]
    )
    return b"".join(
        [
            vfield(1, 9),
            lfield(2, "unit-test-exporter"),
            lfield(3, "1.2.3"),
            lfield(4, "org.example"),
            vfield(5, 7),
            lfield(6, "model doc"),
            lfield(7, graph),
            lfield(8, lfield(1, "") + vfield(2, 17)),
            lfield(8, lfield(1, "ai.onnx.ml") + vfield(2, 3)),
            lfield(14, lfield(1, "author") + lfield(2, "tests")),
            varint(99 << 3 | 5) + struct.pack("<I", 5),  # unknown fixed32 field: skipped
            varint(98 << 3 | 1) + struct.pack("<Q", 5),  # unknown fixed64 field: skipped
        ]
    )


def write(tmp_path: Path, content: bytes, name: str = "model.onnx") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_reads_model_fields(tmp_path: Path) -> None:
    info = read_onnx(write(tmp_path, model_bytes()))
    d = info.details
    assert info.format == "onnx"
    assert (d.ir_version, d.producer_name, d.producer_version) == (9, "unit-test-exporter", "1.2.3")
    assert (d.domain, d.model_version) == ("org.example", 7)
    assert [(o.domain, o.version) for o in d.opsets] == [("", 17), ("ai.onnx.ml", 3)]
    assert d.graph_name == "tiny_graph"
    assert d.inputs == ("x",) and d.outputs == ("z",)
    assert d.node_count == 2 and d.initializer_count == 2
    assert info.tensor_count == 2 and info.parameter_count == 12 + 4
    assert info.dtypes == ("FLOAT", "FLOAT16")
    assert dict(info.metadata) == {"author": "tests"}
    assert not d.external_data and info.safe_to_load


def test_dispatcher_uses_extension(tmp_path: Path) -> None:
    info = inspect_checkpoint(write(tmp_path, model_bytes()))
    assert info is not None and info.format == "onnx"


def test_tensor_payloads_are_skipped(tmp_path: Path) -> None:
    big = 4 << 20
    graph = lfield(5, vfield(1, big) + vfield(2, 2) + lfield(8, "emb") + lfield(9, bytes(big)))
    info = read_onnx(write(tmp_path, vfield(1, 8) + lfield(7, graph)))
    assert info.parameter_count == big and info.dtypes == ("UINT8",)


def test_external_data_is_noted(tmp_path: Path) -> None:
    ext = lfield(13, lfield(1, "location") + lfield(2, "weights.bin")) + vfield(14, 1)
    graph = lfield(5, vfield(1, 2) + vfield(2, 1) + lfield(8, "w") + ext)
    info = read_onnx(write(tmp_path, vfield(1, 8) + lfield(7, graph)))
    assert info.details.external_data


@pytest.mark.parametrize("cut", [1, 7, 40, 100])
def test_truncated_file_is_malformed(tmp_path: Path, cut: int) -> None:
    # Cuts land inside a field (protobuf cannot tell a cut exactly between two fields).
    data = model_bytes()
    path = write(tmp_path, data[: len(data) - cut])
    with pytest.raises(MalformedFileError) as caught:
        read_onnx(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "not an ONNX model"),
        (lfield(2, "producer only"), "not an ONNX model"),
        (b"\x3a" + varint(1 << 40), "declares"),
        (b"\x0b\x00", "wire type 3"),
        (b"\x00\x01", "field number 0"),
        (b"\x08" + b"\xff" * 11, "varint too long"),
        (lfield(1, b"x"), "wire type 2, expected 0"),
        (vfield(1, 8) + lfield(2, b"\xff\xfe"), "not valid UTF-8"),
        (vfield(1, 8) + lfield(7, lfield(5, vfield(1, (1 << 64) - 2))), "negative dimension"),
    ],
)
def test_malformed_protobuf(tmp_path: Path, content: bytes, expected: str) -> None:
    with pytest.raises(MalformedFileError, match=expected):
        read_onnx(write(tmp_path, content))
