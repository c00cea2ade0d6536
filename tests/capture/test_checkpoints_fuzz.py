"""Seeded mutation fuzzing: a damaged checkpoint gives a result or MalformedFileError, never a
crash, a multi-line message, or an executed payload."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest

from mbom.capture.checkpoints import inspect_checkpoint
from mbom.errors import MalformedFileError
from tests.capture.test_checkpoints_gguf import gguf_bytes
from tests.capture.test_checkpoints_onnx import model_bytes
from tests.capture.test_checkpoints_pytorch import malicious_pickle, state_dict_pickle
from tests.capture.test_checkpoints_safetensors import build


def torch_zip(data_pkl: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        archive.writestr("archive/data/0", bytes(16))
    return buffer.getvalue()


def mutate(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(out))
        choice = rng.random()
        if choice < 0.5:
            out[at] = rng.randrange(256)
        elif choice < 0.7:
            del out[at : at + rng.randint(1, 8)]
        elif choice < 0.85:
            out[at:at] = rng.randbytes(rng.randint(1, 8))
        else:
            del out[at:]
        if not out:
            out = bytearray(b"\x80")
    return bytes(out)


@pytest.mark.parametrize("name", ["m.safetensors", "m.onnx", "m.gguf", "m.pt", "m.pkl"])
def test_mutated_files_never_crash(tmp_path: Path, name: str) -> None:
    sentinel = tmp_path / "SENTINEL"
    seeds = {
        "m.safetensors": build(
            {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(8)
        ),
        "m.onnx": model_bytes(),
        "m.gguf": gguf_bytes(vocab=5),
        "m.pt": torch_zip(state_dict_pickle(["a", "b"]) + malicious_pickle(sentinel, 4)),
        "m.pkl": malicious_pickle(sentinel, 2),
    }
    rng = random.Random(name)
    path = tmp_path / name
    for _ in range(300):
        path.write_bytes(mutate(rng, seeds[name]))
        try:
            inspect_checkpoint(path)
        except MalformedFileError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc)
    assert not sentinel.exists()
