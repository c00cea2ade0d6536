"""Typed, immutable results of reading a checkpoint.

Every parser returns one :class:`CheckpointInfo`: the fields a BOM needs whatever the format
(tensor and parameter counts, dtypes, metadata, pickle findings) plus a format-specific
``details`` value. Values are frozen dataclasses with slots so a record cannot be altered
between capture and serialisation. They live in their own module (not the package
``__init__``) so the parsers can import them without an import cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Verdict = Literal["safe", "unknown", "dangerous"]
"""How a pickle global is judged: allow-listed, not allow-listed, or known to run code."""


def frozen_mapping(items: Mapping[str, object] | None = None) -> Mapping[str, object]:
    """Return a read-only copy of ``items`` (sorted by key, so output is deterministic)."""
    return MappingProxyType(dict(sorted((items or {}).items())))


@dataclass(frozen=True, slots=True)
class TensorInfo:
    """One tensor as declared in a header: nothing of its data is read."""

    name: str
    dtype: str
    shape: tuple[int, ...]

    @property
    def numel(self) -> int:
        """Number of elements (1 for a scalar, 0 when any dimension is 0)."""
        total = 1
        for dim in self.shape:
            total *= dim
        return total


@dataclass(frozen=True, slots=True)
class PickleGlobal:
    """A global a pickle would import when loaded (``GLOBAL``, ``STACK_GLOBAL`` or ``INST``)."""

    module: str
    name: str
    verdict: Verdict

    @property
    def qualname(self) -> str:
        """``module.name``, the spelling used in allow-lists and reports."""
        return f"{self.module}.{self.name}"


@dataclass(frozen=True, slots=True)
class PickleScan:
    """What scanning one pickle stream found, without unpickling it.

    ``error`` is set when the stream could not be read to its end (malformed, truncated, or
    an import that cannot be resolved statically): whatever follows the error was not
    checked, so such a stream is never considered safe.
    """

    source: str
    protocol: int | None
    opcode_count: int
    globals: tuple[PickleGlobal, ...]
    errors: tuple[str, ...] = ()
    complete: bool = False
    imports: int = 0
    constant: int | None = None

    @property
    def is_pickle(self) -> bool:
        """Loading these bytes as a pickle would import something, or they decode cleanly.

        Bytes that fail before any import cannot run code when unpickled, so a text file or
        a tensor blob that happens to start with an opcode byte is not called a pickle.
        """
        return self.imports > 0 or self.complete

    @property
    def unsafe_globals(self) -> tuple[PickleGlobal, ...]:
        """Globals outside the allow-list (dangerous ones included)."""
        return tuple(g for g in self.globals if g.verdict != "safe")

    @property
    def dangerous_globals(self) -> tuple[PickleGlobal, ...]:
        """Globals known to execute code, spawn processes or reach the file system."""
        return tuple(g for g in self.globals if g.verdict == "dangerous")

    @property
    def is_safe(self) -> bool:
        """True only when every import is allow-listed and the whole stream was read."""
        return not self.errors and not self.unsafe_globals


@dataclass(frozen=True, slots=True)
class ArchiveMember:
    """One member of a zip checkpoint, from the central directory (never extracted)."""

    name: str
    size: int
    compressed_size: int


@dataclass(frozen=True, slots=True)
class SafetensorsDetails:
    """The parsed safetensors header."""

    header_size: int
    data_size: int
    tensors: tuple[TensorInfo, ...]


@dataclass(frozen=True, slots=True)
class NumpyDetails:
    """A ``.npy`` array header; ``object_dtype`` arrays are stored as a pickle."""

    descr: str
    shape: tuple[int, ...]
    fortran_order: bool
    object_dtype: bool
    pickles: tuple[PickleScan, ...] = ()


@dataclass(frozen=True, slots=True)
class PyTorchDetails:
    """A pickle-bearing file: a PyTorch zip archive (``torch.save``), a legacy checkpoint, a
    raw or compressed pickle / joblib stream, or a zip (npz included) scanned member by member.
    """

    legacy: bool
    members: tuple[ArchiveMember, ...]
    storage_count: int | None
    pickles: tuple[PickleScan, ...]
    archive_version: str | None = None
    byteorder: str | None = None
    torchscript: bool = False


@dataclass(frozen=True, slots=True)
class OpsetImport:
    """An ONNX operator set the model depends on (empty domain = ``ai.onnx``)."""

    domain: str
    version: int


@dataclass(frozen=True, slots=True)
class OnnxDetails:
    """The ModelProto fields an MBOM records; tensor payloads are skipped, not read."""

    ir_version: int | None
    producer_name: str | None
    producer_version: str | None
    domain: str | None
    model_version: int | None
    opsets: tuple[OpsetImport, ...]
    graph_name: str | None
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    node_count: int
    initializer_count: int
    external_data: bool = False


@dataclass(frozen=True, slots=True)
class GGUFArray:
    """A GGUF array value: element type, length and (only when short) the values."""

    element_type: str
    length: int
    values: tuple[object, ...] | None = None


@dataclass(frozen=True, slots=True)
class GGUFDetails:
    """The GGUF header fields an MBOM records."""

    version: int
    byteorder: Literal["little", "big"]
    architecture: str | None
    name: str | None
    file_type: int | None
    quantization: str | None
    context_length: int | None
    alignment: int
    tensors: tuple[TensorInfo, ...]


@dataclass(frozen=True, slots=True)
class KerasDetails:
    """A Keras model: a ``.keras`` zip (config.json read) or an HDF5 file (recognised only).

    ``model_config``: the file holds a model configuration (HDF5: a ``model_config``
    attribute), which ``load_model`` deserialises; ``lambda_layers`` / ``custom_modules`` what
    a read config names that imports or runs code.
    """

    container: Literal["zip", "hdf5"]
    keras_version: str | None
    model_config: bool
    lambda_layers: int = 0
    custom_modules: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TFLiteDetails:
    """A TensorFlow Lite flatbuffer (file identifier ``TFL3``): the Model table's header."""

    schema_version: int | None
    description: str | None
    subgraphs: int | None


Details = (
    SafetensorsDetails
    | PyTorchDetails
    | OnnxDetails
    | GGUFDetails
    | NumpyDetails
    | KerasDetails
    | TFLiteDetails
)


@dataclass(frozen=True, slots=True)
class CheckpointInfo:
    """What mbom learned about one checkpoint file without executing any of it.

    ``tensor_count`` / ``parameter_count`` are ``None`` when the format does not declare them
    without loading (a pickle's tensors are only known by unpickling). ``pickle_globals`` lists
    every import a loader would perform; ``unsafe_globals`` those outside the allow-list;
    ``dangerous_globals`` those known to run code. ``issues`` holds problems that do not stop
    the read but must stop a deployment (a pickle that could not be scanned to its end).
    """

    path: str
    format: str
    size: int
    tensor_count: int | None
    parameter_count: int | None
    dtypes: tuple[str, ...]
    details: Details
    metadata: Mapping[str, object] = field(default_factory=frozen_mapping, hash=False)
    pickle_globals: tuple[str, ...] = ()
    unsafe_globals: tuple[str, ...] = ()
    dangerous_globals: tuple[str, ...] = ()
    issues: tuple[str, ...] = ()
    compression: str | None = None

    @property
    def safe_to_load(self) -> bool:
        """True when loading cannot import anything outside the allow-list, as far as read."""
        return not self.unsafe_globals and not self.issues

    @property
    def pickled(self) -> bool:
        """A pickle stream was found in the file (so its loader unpickles)."""
        return bool(getattr(self.details, "pickles", ()))

    @property
    def executes_code(self) -> bool:
        """Whether loading this file can run code at all (:mod:`.safety` decides)."""
        from mbom.capture.checkpoints.safety import executes_code

        return executes_code(self.format, pickled=self.pickled)
