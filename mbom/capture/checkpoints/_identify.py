"""Which checkpoint a file is, by its bytes: the dispatch behind :func:`inspect_checkpoint`.

Kept out of the package's ``__init__`` so that reading a BOM's recorded safety
(:mod:`.safety`, which verify and validate need) does not load every format's reader.
"""

from __future__ import annotations

import os

from mbom.capture.checkpoints._reader import read_prefix
from mbom.capture.checkpoints.gguf import GGUF_MAGIC, read_gguf
from mbom.capture.checkpoints.keras import is_hdf5, read_hdf5, read_keras_zip
from mbom.capture.checkpoints.onnx import read_onnx
from mbom.capture.checkpoints.pytorch import (
    ZIP_MAGIC,
    read_pickle_file,
    read_pytorch_zip,
    scan_file,
)
from mbom.capture.checkpoints.results import CheckpointInfo
from mbom.capture.checkpoints.safetensors import read_safetensors
from mbom.capture.checkpoints.tflite import is_tflite, read_tflite
from mbom.errors import MalformedFileError

PICKLE_SUFFIXES = (".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib")
"""Extensions that claim a pickle: such a file that holds none is malformed (an input error).
Detection itself never depends on the name: every file's bytes are scanned."""


def inspect_checkpoint(path: str | os.PathLike[str]) -> CheckpointInfo | None:
    """Identify and read a checkpoint by its bytes; the extension only names a format to expect.

    Returns None for files that hold nothing a loader would unpickle and no known tensor
    format (including zip archives without a pickle). Raises MalformedFileError when a file
    looks like a checkpoint but does not parse, and UnreadableFileError when it cannot be read.
    """
    head, size = read_prefix(path, 2056)  # an HDF5 superblock may follow a 2 KiB user block
    if head.startswith(ZIP_MAGIC):
        return read_pytorch_zip(path) or read_keras_zip(path)
    if head.startswith(GGUF_MAGIC):
        return read_gguf(path)
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if _looks_like_safetensors(head, size):
        return read_safetensors(path)
    found = scan_file(path)
    if found is not None:
        return found
    if is_hdf5(head):
        return read_hdf5(path)
    if is_tflite(head):
        try:
            return read_tflite(path)
        except MalformedFileError:
            if suffix == ".tflite":
                raise  # a file that claims TFLite and is not one is malformed
            # else: 4 bytes that happen to read "TFL3" in some other file; it runs no code
    if suffix == ".safetensors":
        return read_safetensors(path)
    if suffix == ".onnx":
        return read_onnx(path)
    if suffix in PICKLE_SUFFIXES:
        return read_pickle_file(path)
    return None


def _looks_like_safetensors(head: bytes, size: int) -> bool:
    """An 8-byte little-endian header length that fits the file, then a JSON object."""
    if len(head) < 9 or head[8:9] != b"{":
        return False
    length = int.from_bytes(head[:8], "little")
    return 2 <= length <= size - 8
