"""GGUF header reading on small v3 files written by hand (no gguf package)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from mbom.capture.checkpoints import GGUFArray, inspect_checkpoint, read_gguf
from mbom.errors import MalformedFileError

UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64 = 4, 5, 6, 7, 8, 9, 10


def gstr(text: str, order: str = "<") -> bytes:
    raw = text.encode()
    return struct.pack(order + "Q", len(raw)) + raw


def kv(key: str, value_type: int, payload: bytes, order: str = "<") -> bytes:
    return gstr(key, order) + struct.pack(order + "I", value_type) + payload


def string_array(items: list[str], order: str = "<") -> bytes:
    head = struct.pack(order + "IQ", STRING, len(items))
    return head + b"".join(gstr(s, order) for s in items)


def tensor_info(name: str, dims: list[int], ggml_type: int, offset: int) -> bytes:
    packed = struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
    return gstr(name) + packed + struct.pack("<IQ", ggml_type, offset)


def gguf_bytes(*, vocab: int = 1000, order: str = "<") -> bytes:
    p = order
    kvs = [
        kv("general.architecture", STRING, gstr("llama", p), p),
        kv("general.name", STRING, gstr("Tiny Llama", p), p),
        kv("general.file_type", UINT32, struct.pack(p + "I", 15), p),
        kv("llama.context_length", UINT32, struct.pack(p + "I", 4096), p),
        kv("llama.rope.freq_base", FLOAT32, struct.pack(p + "f", 10000.0), p),
        kv("general.is_tiny", BOOL, b"\x01", p),
        kv("tokenizer.ggml.tokens", ARRAY, string_array([f"tok{i}" for i in range(vocab)], p), p),
        kv("tokenizer.ggml.scores", ARRAY, struct.pack(p + "IQ", FLOAT32, 3) + bytes(12), p),
        kv(
            "nested",
            ARRAY,
            struct.pack(p + "IQ", ARRAY, 1) + struct.pack(p + "IQ", INT32, 2) + bytes(8),
            p,
        ),
    ]
    tensors: list[bytes] = []
    if p == "<":
        tensors = [tensor_info("tok_embd.weight", [8, 16], 12, 0), tensor_info("norm", [8], 0, 96)]
    header = b"GGUF" + struct.pack(p + "IQQ", 3, len(tensors), len(kvs))
    body = header + b"".join(kvs) + b"".join(tensors)
    body += bytes(-len(body) % 32)
    return body + bytes(128)


def write(tmp_path: Path, content: bytes, name: str = "model.gguf") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_reads_header_fields(tmp_path: Path) -> None:
    info = read_gguf(write(tmp_path, gguf_bytes()))
    d = info.details
    assert info.format == "gguf" and d.version == 3 and d.byteorder == "little"
    assert d.architecture == "llama" and d.name == "Tiny Llama"
    assert d.file_type == 15 and d.quantization == "Q4_K_M"
    assert d.context_length == 4096 and d.alignment == 32
    assert info.tensor_count == 2 and info.parameter_count == 8 * 16 + 8
    assert info.dtypes == ("F32", "Q4_K")
    meta = info.metadata
    assert meta["llama.rope.freq_base"] == 10000.0 and meta["general.is_tiny"] is True
    assert meta["tokenizer.ggml.tokens"] == GGUFArray(element_type="string", length=1000)
    assert meta["tokenizer.ggml.scores"] == GGUFArray("float32", 3, (0.0, 0.0, 0.0))
    nested = meta["nested"]
    assert isinstance(nested, GGUFArray) and nested.values == (GGUFArray("int32", 2, (0, 0)),)


def test_short_string_array_is_kept(tmp_path: Path) -> None:
    info = read_gguf(write(tmp_path, gguf_bytes(vocab=3)))
    assert info.metadata["tokenizer.ggml.tokens"].values == ("tok0", "tok1", "tok2")


def test_big_endian_file(tmp_path: Path) -> None:
    info = read_gguf(write(tmp_path, gguf_bytes(order=">")))
    assert info.details.byteorder == "big" and info.details.context_length == 4096


def test_dispatcher_uses_magic(tmp_path: Path) -> None:
    info = inspect_checkpoint(write(tmp_path, gguf_bytes(), name="model.bin"))
    assert info is not None and info.format == "gguf"


@pytest.mark.parametrize("keep", [3, 4, 11, 30, 200, 5000])
def test_truncated_file_is_malformed(tmp_path: Path, keep: int) -> None:
    path = write(tmp_path, gguf_bytes()[:keep])
    with pytest.raises(MalformedFileError) as caught:
        read_gguf(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def _case_id(value: object) -> str | None:
    return value.replace(" ", "-") if isinstance(value, str) else "file"


def header(version: int = 3, tensors: int = 0, kvs: int = 0) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", version, tensors, kvs)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"GGML" + bytes(20), "missing 'GGUF' magic"),
        (header(version=1), "unsupported GGUF version 1"),
        (header(kvs=1 << 60), "key/value count"),
        (header(tensors=1 << 60), "tensor count"),
        (header(kvs=1) + struct.pack("<Q", 1 << 50) + bytes(64), "declares"),
        (header(kvs=1) + kv("k", 42, b""), "unknown value type 42"),
        (header(kvs=1) + kv("k", ARRAY, struct.pack("<IQ", UINT64, 1 << 40)), "cannot fit"),
        (header(kvs=1) + kv("k", ARRAY, struct.pack("<IQ", 77, 1)), "unknown array type"),
        (header(kvs=1) + kv("k", STRING, struct.pack("<Q", 2) + b"\xff\xff"), "UTF-8"),
        (header(kvs=2) + kv("k", BOOL, b"\x01") * 2, "duplicate metadata key"),
        (header(kvs=1) + kv("general.alignment", UINT32, struct.pack("<I", 3)), "power of two"),
        (header(tensors=1) + tensor_info("t", [1] * 5, 0, 0) + bytes(64), "5 dimensions"),
        (header(tensors=1) + tensor_info("t", [4], 0, 1 << 40) + bytes(64), "past the end"),
        (header(tensors=1) + tensor_info("t", [4], 0, 3) + bytes(64), "misaligned"),
        (header(tensors=2) + tensor_info("t", [1], 0, 0) * 2 + bytes(64), "not unique"),
    ],
    ids=_case_id,
)
def test_malformed_headers(tmp_path: Path, content: bytes, expected: str) -> None:
    with pytest.raises(MalformedFileError, match=expected):
        read_gguf(write(tmp_path, content))


def test_deeply_nested_arrays_are_rejected(tmp_path: Path) -> None:
    nest = struct.pack("<IQ", ARRAY, 1) * 20 + struct.pack("<IQ", INT32, 0)
    with pytest.raises(MalformedFileError, match="nested deeper"):
        read_gguf(write(tmp_path, header(kvs=1) + kv("k", ARRAY, nest) + bytes(64)))
