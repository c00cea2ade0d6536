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

The names load on first use (:func:`mbom._lazy.lazy_exports`): :mod:`.safety`, which verify
and validate read a BOM's recorded judgements with, does not pull in every reader (35 ms).
"""

from __future__ import annotations

from mbom._lazy import lazy_exports

#: public name -> the submodule that defines it
_EXPORTS = {
    "ArchiveMember": "results",
    "CheckpointInfo": "results",
    "GGUFArray": "results",
    "GGUFDetails": "results",
    "KerasDetails": "results",
    "NumpyDetails": "results",
    "OnnxDetails": "results",
    "OpsetImport": "results",
    "PickleGlobal": "results",
    "PickleScan": "results",
    "PyTorchDetails": "results",
    "SafetensorsDetails": "results",
    "TFLiteDetails": "results",
    "TensorInfo": "results",
    "classify": "pickle_scan",
    "inspect_checkpoint": "_identify",
    "read_gguf": "gguf",
    "read_hdf5": "keras",
    "read_keras_zip": "keras",
    "read_onnx": "onnx",
    "read_pickle_file": "pytorch",
    "read_pytorch": "pytorch",
    "read_pytorch_zip": "pytorch",
    "read_safetensors": "safetensors",
    "read_tflite": "tflite",
    "scan_file": "pytorch",
    "scan_pickle": "pickle_scan",
    "scan_pickle_bytes": "pickle_scan",
    "PICKLE_SUFFIXES": "_identify",
}

__all__ = sorted(name for name in _EXPORTS if name != "PICKLE_SUFFIXES")

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
