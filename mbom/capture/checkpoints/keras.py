"""Keras models, recognised without Keras: ``.keras`` zips (their config read) and HDF5 files.

Usage::

    from mbom.capture.checkpoints.keras import is_hdf5, read_hdf5, read_keras_zip

    info = read_keras_zip("model.keras")     # None: a zip that is not a Keras model
    if is_hdf5(head): info = read_hdf5("model.h5")

Loading a Keras model can run code: a ``Lambda`` layer carries marshalled Python bytecode
and a custom object names a module to import. A ``.keras`` zip's ``config.json`` is read (bounded
JSON, never evaluated) and each such layer or module is recorded, so the file is flagged. An
HDF5 file is not parsed: when it holds a ``model_config`` attribute (its name is stored as
plain bytes; a weights-only file has none), nothing proves the config is free of Lambda
layers, so the file is not safe to load (fail closed). See docs/checkpoints.md.
"""

from __future__ import annotations

import os
import zipfile
from typing import Any, Final

from mbom.capture.checkpoints._reader import display_path, open_bounded
from mbom.capture.checkpoints.results import CheckpointInfo, KerasDetails, frozen_mapping
from mbom.errors import MalformedFileError, UnreadableFileError

HDF5_MAGIC: Final = b"\x89HDF\r\n\x1a\n"
#: offsets where an HDF5 superblock may start (after a user block of 512 * 2**k bytes)
HDF5_OFFSETS: Final = (0, 512, 1024, 2048)
MAX_CONFIG_BYTES: Final = 16 << 20
_CHUNK = 1 << 20
_MARKER = b"model_config"
_KERAS_MEMBERS = frozenset({"config.json", "metadata.json", "model.weights.h5"})


def is_hdf5(head: bytes) -> bool:
    """``head`` (the file's first 2 KiB and 8 bytes) holds an HDF5 superblock signature."""
    return any(head[o : o + 8] == HDF5_MAGIC for o in HDF5_OFFSETS)


def read_hdf5(path: str | os.PathLike[str]) -> CheckpointInfo:
    """An HDF5 file as a Keras model: recognised, with a ``model_config`` search."""
    with open_bounded(path) as r:
        found, tail = False, b""
        while not found:
            chunk = r.stream.read(_CHUNK)
            if not chunk:
                break
            found = _MARKER in tail + chunk
            tail = chunk[-len(_MARKER) :]
        size = r.size
    issues = (
        (
            f"{display_path(path)}: HDF5 model_config is not parsed: a Keras Lambda layer in it "
            "runs code on load_model; load weights only, or convert to safetensors",
        )
        if found
        else ()
    )
    details = KerasDetails(container="hdf5", keras_version=None, model_config=found)
    return _info(path, "keras-hdf5", size, details, issues=issues)


def read_keras_zip(path: str | os.PathLike[str]) -> CheckpointInfo | None:
    """A ``.keras`` zip (config.json + metadata.json / model.weights.h5), or None."""
    name = display_path(path)
    try:
        found = _zip_documents(path, name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
        raise MalformedFileError(f"{name}: unreadable zip archive: {exc}", path=name) from None
    except OSError as exc:
        raise UnreadableFileError(
            f"{name}: cannot read: {exc.strerror or exc}", path=name
        ) from None
    if found is None:
        return None
    documents, size = found
    lambdas, modules = _code_in(documents["config.json"])
    metadata = documents.get("metadata.json")
    version = metadata.get("keras_version") if isinstance(metadata, dict) else None
    details = KerasDetails(
        container="zip",
        keras_version=version if isinstance(version, str) else None,
        model_config=True,
        lambda_layers=lambdas,
        custom_modules=modules,
    )
    dangerous = ("keras.layers.Lambda",) if lambdas else ()
    return _info(
        path,
        "keras",
        size,
        details,
        dangerous=dangerous,
        unsafe=dangerous + tuple(f"{m} (custom object)" for m in modules),
    )


def _zip_documents(path: str | os.PathLike[str], name: str) -> tuple[dict[str, Any], int] | None:
    """config.json and metadata.json of a Keras zip, parsed, and the file's size; None when
    it is not one."""
    from mbom.load import load_json

    documents: dict[str, Any] = {}
    with open_bounded(path) as reader, zipfile.ZipFile(reader.stream) as archive:
        members = {i.filename: i for i in archive.infolist() if not i.is_dir()}
        if "config.json" not in members or len(_KERAS_MEMBERS & members.keys()) < 2:
            return None
        for member in ("config.json", "metadata.json"):
            info = members.get(member)
            if info is None:
                continue
            if info.file_size > MAX_CONFIG_BYTES:
                raise MalformedFileError(
                    f"{name}: {member} is over {MAX_CONFIG_BYTES} bytes", path=name
                )
            documents[member] = load_json(archive.read(info), f"{name} ({member})", path=name)
    return documents, reader.size


def _code_in(config: Any) -> tuple[int, tuple[str, ...]]:
    """Lambda layers and non-Keras modules a config names (iterative: the depth is bounded
    by the JSON reader, the walk by the document's size)."""
    lambdas, modules = 0, set()
    stack = [config]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("class_name") == "Lambda":
                lambdas += 1
            module = item.get("module")
            if isinstance(module, str) and module.split(".")[0] not in ("keras", "builtins"):
                modules.add(module)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return lambdas, tuple(sorted(modules))


def _info(
    path: str | os.PathLike[str],
    fmt: str,
    size: int,
    details: KerasDetails,
    *,
    issues: tuple[str, ...] = (),
    dangerous: tuple[str, ...] = (),
    unsafe: tuple[str, ...] = (),
) -> CheckpointInfo:
    return CheckpointInfo(
        path=display_path(path),
        format=fmt,
        size=size,
        tensor_count=None,
        parameter_count=None,
        dtypes=(),
        details=details,
        metadata=frozen_mapping(),
        unsafe_globals=unsafe,
        dangerous_globals=dangerous,
        issues=issues,
    )
