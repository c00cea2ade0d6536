"""inspect_checkpoint: magic bytes first, then extension; None for non-checkpoints."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from mbom.capture.checkpoints import CheckpointInfo, inspect_checkpoint
from mbom.errors import MalformedFileError, UnreadableFileError


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.txt", b"just some text\n"),
        ("config.json", b'{"hidden_size": 8}'),
        ("empty", b""),
        ("tokenizer.bin", b"\x00\x01\x02 not a pickle"),
        ("data.csv", b"a,b\n1,2\n"),
    ],
)
def test_non_checkpoints_give_none(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert inspect_checkpoint(path) is None


def test_pickle_magic_wins_over_extension(tmp_path: Path) -> None:
    path = tmp_path / "looks_like.txt"
    path.write_bytes(pickle.dumps({"a": 1}, protocol=4))
    info = inspect_checkpoint(path)
    assert isinstance(info, CheckpointInfo) and info.format == "pickle" and info.safe_to_load


def test_extension_claims_safetensors_but_content_is_text(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"hello")
    with pytest.raises(MalformedFileError, match=r"model\.safetensors"):
        inspect_checkpoint(path)


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="cannot open"):
        inspect_checkpoint(tmp_path / "absent.pt")


def test_directory_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError):
        inspect_checkpoint(tmp_path)


def test_result_is_frozen(tmp_path: Path) -> None:
    path = tmp_path / "m.pkl"
    path.write_bytes(pickle.dumps([1, 2], protocol=2))
    info = inspect_checkpoint(path)
    assert info is not None
    with pytest.raises(AttributeError):
        info.format = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        info.metadata["x"] = 1  # type: ignore[index]
    assert os.fspath(path) == info.path
