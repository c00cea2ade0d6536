"""Safetensors header parsing against hand-built files (struct + json, no safetensors package)."""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import pytest

from mbom.capture.checkpoints import _reader as checkpoint_reader
from mbom.capture.checkpoints import inspect_checkpoint, read_safetensors
from mbom.capture.checkpoints.safetensors import MAX_HEADER_SIZE
from mbom.errors import MalformedFileError


def build(header: dict[str, object], data: bytes, *, pad: bytes = b"") -> bytes:
    raw = json.dumps(header).encode() + pad
    return struct.pack("<Q", len(raw)) + raw + data


def good_file(tmp_path: Path) -> Path:
    header = {
        "__metadata__": {"format": "pt", "source": "unit-test"},
        "embed.weight": {"dtype": "F32", "shape": [4, 2], "data_offsets": [0, 32]},
        "norm.bias": {"dtype": "BF16", "shape": [3], "data_offsets": [32, 38]},
        "step": {"dtype": "I64", "shape": [], "data_offsets": [38, 46]},
    }
    path = tmp_path / "model.safetensors"
    path.write_bytes(build(header, bytes(46), pad=b"   "))
    return path


def write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    return path


def test_reads_names_dtypes_shapes_and_parameter_count(tmp_path: Path) -> None:
    info = read_safetensors(good_file(tmp_path))
    assert info.format == "safetensors"
    assert info.tensor_count == 3
    assert info.parameter_count == 4 * 2 + 3 + 1
    assert info.dtypes == ("BF16", "F32", "I64")
    assert dict(info.metadata) == {"format": "pt", "source": "unit-test"}
    tensors = {t.name: t for t in info.details.tensors}
    assert tensors["embed.weight"].shape == (4, 2)
    assert tensors["step"].shape == ()
    assert info.safe_to_load and info.pickle_globals == ()


def test_dispatcher_uses_extension(tmp_path: Path) -> None:
    info = inspect_checkpoint(good_file(tmp_path))
    assert info is not None and info.format == "safetensors"


def test_empty_model_is_valid(tmp_path: Path) -> None:
    info = read_safetensors(write(tmp_path, build({}, b"")))
    assert info.tensor_count == 0 and info.parameter_count == 0


def test_reads_only_the_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.safetensors"
    size = 1 << 20
    path.write_bytes(
        build({"w": {"dtype": "U8", "shape": [size], "data_offsets": [0, size]}}, bytes(size))
    )
    reads: list[int] = []

    class SpyReader(io.BufferedReader):
        def read(self, n: int | None = -1, /) -> bytes:
            reads.append(-1 if n is None else n)
            return super().read(n)

    def spy_open(file: Path, mode: str = "rb") -> SpyReader:
        assert mode == "rb"
        return SpyReader(io.FileIO(file, "rb"))

    monkeypatch.setattr(checkpoint_reader, "open", spy_open, raising=False)
    info = read_safetensors(path)
    assert info.parameter_count == size
    assert reads and max(reads) < 1024 and -1 not in reads


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "shorter than the 8-byte length"),
        (b"\x01\x02\x03", "shorter than the 8-byte length"),
        (struct.pack("<Q", 1000) + b"{}", "larger than the file"),
        (struct.pack("<Q", MAX_HEADER_SIZE + 1) + b"{}", "exceeds the 100000000-byte limit"),
        (struct.pack("<Q", 2) + b"\xff\xfe", "not valid UTF-8"),
        (struct.pack("<Q", 5) + b"[1,2]", "does not start with '{'"),
        (struct.pack("<Q", 9) + b"{not json", "not valid JSON"),
    ],
)
def test_rejects_broken_headers(tmp_path: Path, content: bytes, expected: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(MalformedFileError) as caught:
        read_safetensors(path)
    message = str(caught.value)
    assert expected in message
    assert str(path) in message and "\n" not in message
    assert caught.value.path == str(path)


def test_truncated_data_section(tmp_path: Path) -> None:
    header = {"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}
    with pytest.raises(MalformedFileError, match="cover 16 bytes but the data section holds 8"):
        read_safetensors(write(tmp_path, build(header, bytes(8))))


def test_trailing_bytes_after_tensors(tmp_path: Path) -> None:
    header = {"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}
    with pytest.raises(MalformedFileError, match="data section holds 12"):
        read_safetensors(write(tmp_path, build(header, bytes(12))))


@pytest.mark.parametrize(
    ("tensors", "expected"),
    [
        (
            {
                "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]},
            },
            "overlap or leave a gap",
        ),
        (
            {
                "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]},
            },
            "overlap or leave a gap",
        ),
        ({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, "needs 12"),
        ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, "overlap or leave a gap"),
        ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0]}}, "two non-negative integers"),
        ({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, "shape must be"),
        ({"a": {"dtype": "F32", "shape": [True], "data_offsets": [0, 8]}}, "shape must be"),
        ({"a": {"dtype": "F33", "shape": [2], "data_offsets": [0, 8]}}, "unknown dtype"),
        ({"a": {"dtype": "F4", "shape": [3], "data_offsets": [0, 2]}}, "whole byte count"),
        ({"a": [1, 2]}, "not a JSON object"),
        ({"__metadata__": {"k": 1}}, "__metadata__ must map strings to strings"),
    ],
)
def test_rejects_bad_tensor_entries(
    tmp_path: Path, tensors: dict[str, object], expected: str
) -> None:
    with pytest.raises(MalformedFileError, match=expected):
        read_safetensors(write(tmp_path, build(tensors, bytes(12))))


def test_rejects_duplicate_tensor_names(tmp_path: Path) -> None:
    entry = '{"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}'
    raw = ('{"a": ' + entry + ', "a": ' + entry + "}").encode()
    with pytest.raises(MalformedFileError, match="duplicate key"):
        read_safetensors(write(tmp_path, struct.pack("<Q", len(raw)) + raw + b"\0"))
