"""Read model checkpoints without executing anything in them.

Formats: safetensors (JSON header), PyTorch zip archives and legacy pickles (static pickle-opcode
scan, torch is never imported and nothing is unpickled), ONNX (a minimal protobuf reader, the
``onnx`` package is not needed) and GGUF (typed header key/values). Only headers are read;
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
from mbom.capture.checkpoints.onnx import read_onnx
from mbom.capture.checkpoints.pickle_scan import classify, scan_pickle, scan_pickle_bytes
from mbom.capture.checkpoints.pytorch import (
    ZIP_MAGIC,
    read_pickle_file,
    read_pytorch,
    read_pytorch_zip,
)
from mbom.capture.checkpoints.results import (
    ArchiveMember,
    CheckpointInfo,
    GGUFArray,
    GGUFDetails,
    OnnxDetails,
    OpsetImport,
    PickleGlobal,
    PickleScan,
    PyTorchDetails,
    SafetensorsDetails,
    TensorInfo,
)
from mbom.capture.checkpoints.safetensors import read_safetensors

__all__ = [
    "ArchiveMember",
    "CheckpointInfo",
    "GGUFArray",
    "GGUFDetails",
    "OnnxDetails",
    "OpsetImport",
    "PickleGlobal",
    "PickleScan",
    "PyTorchDetails",
    "SafetensorsDetails",
    "TensorInfo",
    "classify",
    "inspect_checkpoint",
    "read_gguf",
    "read_onnx",
    "read_pickle_file",
    "read_pytorch",
    "read_pytorch_zip",
    "read_safetensors",
    "scan_pickle",
    "scan_pickle_bytes",
]

PICKLE_SUFFIXES = (".pt", ".pth", ".ckpt", ".pkl", ".pickle")
"""Extensions whose files are scanned as pickles even without the protocol-2+ ``\\x80`` magic
(protocol 0/1 pickles start with an arbitrary opcode). ``.bin`` is too generic to claim."""


def inspect_checkpoint(path: str | os.PathLike[str]) -> CheckpointInfo | None:
    """Identify and read a checkpoint: magic bytes first, then the file extension.

    Returns None for files that are not checkpoints (including zip archives without a pickle).
    Raises MalformedFileError when a file looks like a checkpoint but does not parse, and
    UnreadableFileError when it cannot be read.
    """
    head = read_prefix(path, 8)
    if head.startswith(ZIP_MAGIC):
        return read_pytorch_zip(path)
    if head.startswith(GGUF_MAGIC):
        return read_gguf(path)
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return read_pickle_file(path)
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix == ".safetensors":
        return read_safetensors(path)
    if suffix == ".onnx":
        return read_onnx(path)
    if suffix in PICKLE_SUFFIXES:
        return read_pickle_file(path)
    return None
