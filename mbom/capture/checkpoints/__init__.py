"""Read model checkpoints without executing anything in them.

Formats: safetensors (JSON header), PyTorch zip archives, legacy pickles, any pickle stream,
joblib, numpy ``.npy``/``.npz`` and any of these compressed or zipped, found by content
(:mod:`.content`; a static pickle-opcode scan, torch is never imported and nothing is
unpickled; :mod:`.safety` says which formats can run code), ONNX (a minimal protobuf reader, the
``onnx`` package is not needed), GGUF (typed header key/values), TFLite (the flatbuffer's Model
header) and Keras (``.keras`` zips, their config.json read for Lambda layers and custom
objects; HDF5 files recognised). Only headers are read;
tensor payloads are skipped. Every declared length is bounds-checked, and a file that does not
parse as its format raises :class:`mbom.errors.MalformedFileError` with a one-line message
naming the file.

Usage::

    from mbom.capture.checkpoints import inspect_checkpoint

    info = inspect_checkpoint("model.safetensors")   # None if it is not a checkpoint
    if info is not None:
        print(info.format, info.tensor_count, info.parameter_count, info.dtypes)
        if not info.safe_to_load:                     # pickle imports outside the allow-list
            print("refusing:", info.dangerous_globals or info.unsafe_globals, info.issues)

Each format also has its own reader (:func:`read_safetensors`, :func:`read_pytorch`,
:func:`read_onnx`, :func:`read_gguf`); the format-specific fields are in ``info.details``.
"""

from __future__ import annotations

import os

from mbom.capture.checkpoints._reader import read_prefix
from mbom.capture.checkpoints.gguf import GGUF_MAGIC, read_gguf
from mbom.capture.checkpoints.keras import is_hdf5, read_hdf5, read_keras_zip
from mbom.capture.checkpoints.onnx import read_onnx
from mbom.capture.checkpoints.pickle_scan import classify, scan_pickle, scan_pickle_bytes
from mbom.capture.checkpoints.pytorch import (
    ZIP_MAGIC,
    read_pickle_file,
    read_pytorch,
    read_pytorch_zip,
    scan_file,
)
from mbom.capture.checkpoints.results import (
    ArchiveMember,
    CheckpointInfo,
    GGUFArray,
    GGUFDetails,
    KerasDetails,
    NumpyDetails,
    OnnxDetails,
    OpsetImport,
    PickleGlobal,
    PickleScan,
    PyTorchDetails,
    SafetensorsDetails,
    TensorInfo,
    TFLiteDetails,
)
from mbom.capture.checkpoints.safetensors import read_safetensors
from mbom.capture.checkpoints.tflite import is_tflite, read_tflite
from mbom.errors import MalformedFileError

__all__ = [
    "ArchiveMember",
    "CheckpointInfo",
    "GGUFArray",
    "GGUFDetails",
    "KerasDetails",
    "NumpyDetails",
    "OnnxDetails",
    "OpsetImport",
    "PickleGlobal",
    "PickleScan",
    "PyTorchDetails",
    "SafetensorsDetails",
    "TFLiteDetails",
    "TensorInfo",
    "classify",
    "inspect_checkpoint",
    "read_gguf",
    "read_hdf5",
    "read_keras_zip",
    "read_onnx",
    "read_pickle_file",
    "read_pytorch",
    "read_pytorch_zip",
    "read_safetensors",
    "read_tflite",
    "scan_file",
    "scan_pickle",
    "scan_pickle_bytes",
]

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
