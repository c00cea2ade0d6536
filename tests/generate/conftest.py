"""Real model directories for generator tests, written in tmp_path."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

MBOM = [sys.executable, "-m", "mbom.cli"]


def run_mbom(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None):
    import os

    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [*MBOM, *args], capture_output=True, text=True, cwd=cwd, env=full_env, check=False
    )


def write_safetensors(path: Path, tensors: dict[str, tuple[str, list[int]]]) -> None:
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    sizes = {"F32": 4, "F16": 2, "I64": 8}
    for name, (dtype, shape) in tensors.items():
        count = 1
        for dim in shape:
            count *= dim
        end = offset + count * sizes[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, end]}
        offset = end
    encoded = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + bytes(offset))


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    root = tmp_path / "model"
    (root / "tokenizer").mkdir(parents=True)
    write_safetensors(root / "model.safetensors", {"w": ("F32", [4, 8]), "b": ("F32", [8])})
    (root / "config.json").write_text(
        json.dumps(
            {"architectures": ["TinyNet"], "model_type": "tiny", "_name_or_path": "org/tiny-base"}
        )
    )
    (root / "README.md").write_text(
        "---\nlicense: mit\npipeline_tag: text-classification\ndatasets:\n- org/data\n---\n\n"
        "A tiny test model.\n"
    )
    (root / "tokenizer" / "vocab.txt").write_text("a\nb\n")
    return root


@pytest.fixture
def dataset_dir(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    for index in range(5):
        (root / f"part-{index}.csv").write_text(f"x,y\n{index},{index * 2}\n")
    return root
