"""Which globals a checkpoint's pickle may import: the allow-list, the deny-list, the verdict.

:func:`classify` judges one ``module.name`` the way :mod:`.pickle_scan` records it: ``safe``
(:data:`SAFE_GLOBALS`, what a plain tensor / state-dict checkpoint needs; and
:data:`RECONSTRUCTED_GLOBALS`, which the scanner downgrades when it sees them called),
``dangerous`` (:data:`DANGEROUS_MODULES` / :data:`DANGEROUS_GLOBALS`: runs commands or code,
touches files or the network) or ``unknown`` (anything else: custom classes can do anything in
``__setstate__``, so they are not safe either). Kept apart from the opcode walk so the tables
can be read (and reviewed) on their own.
"""

from __future__ import annotations

import _compat_pickle
from typing import Final

from mbom.capture.checkpoints.results import Verdict

_TORCH_TYPE_PREFIXES = (
    "Double", "Float", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool",
    "ComplexFloat", "ComplexDouble",
)  # fmt: skip
_TORCH_DTYPES = (
    "float32", "float", "float64", "double", "float16", "half", "bfloat16", "complex32",
    "complex64", "cfloat", "complex128", "cdouble", "uint8", "int8", "int16", "short", "int32",
    "int", "int64", "long", "bool", "uint16", "uint32", "uint64", "float8_e4m3fn", "float8_e5m2",
    "float8_e4m3fnuz", "float8_e5m2fnuz", "quint8", "qint8", "qint32", "quint4x2", "quint2x4",
)  # fmt: skip
_TORCH_REBUILD = (
    "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter",
    "_rebuild_parameter_with_state", "_rebuild_qtensor", "_rebuild_sparse_tensor",
    "_rebuild_meta_tensor_no_storage", "_rebuild_nested_tensor", "_rebuild_wrapper_subclass",
    "_rebuild_device_tensor_from_cpu_tensor", "_rebuild_device_tensor_from_numpy",
)  # fmt: skip

SAFE_GLOBALS: Final[frozenset[str]] = frozenset(
    {
        "collections.OrderedDict",
        "_codecs.encode",  # how protocol 2 pickles spell a bytes object
        "builtins.set",
        "builtins.frozenset",
        "builtins.complex",
        "builtins.bytearray",
        "builtins.slice",
        "torch.Size",
        "torch.Tensor",
        "torch.device",
        "torch.nn.parameter.Parameter",
        "torch._tensor._rebuild_from_type_v2",
        "torch.serialization._get_layout",
        "torch.UntypedStorage",
        "torch.storage.UntypedStorage",
        "torch.contiguous_format",
        "torch.channels_last",
        "torch.channels_last_3d",
        "torch.preserve_format",
        "torch.per_tensor_affine",
        "torch.per_channel_affine",
        "torch.per_tensor_symmetric",
        "torch.per_channel_symmetric",
        "torch.per_channel_affine_float_qparams",
        "numpy.dtype",
        "numpy.ndarray",
        "numpy.core.multiarray._reconstruct",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray._reconstruct",
        "numpy._core.multiarray.scalar",
        *(f"torch._utils.{name}" for name in _TORCH_REBUILD),
        *(f"torch.{kind}Storage" for kind in _TORCH_TYPE_PREFIXES),
        *(f"torch.{kind}Storage" for kind in ("QInt8", "QUInt8", "QInt32", "QUInt4x2", "QUInt2x4")),
        *(f"torch.{kind}Tensor" for kind in _TORCH_TYPE_PREFIXES),
        *(f"torch.{dtype}" for dtype in _TORCH_DTYPES),
    }
)
"""Globals a tensor / state-dict checkpoint legitimately imports: rebuild functions, storage and
tensor types, dtypes, ``OrderedDict``, and numpy array reconstruction. Mirrors the spirit of
PyTorch's ``weights_only`` unpickler. Plus the enums a Hugging Face Trainer's
``training_args.bin`` holds (calling an Enum class only looks a member up)."""

SAFE_GLOBALS = SAFE_GLOBALS | {
    "accelerate.utils.dataclasses.DistributedType",
    "transformers.debug_utils.DebugOption",
    "transformers.trainer_utils.FSDPOption",
    "transformers.trainer_utils.HubStrategy",
    "transformers.trainer_utils.IntervalStrategy",
    "transformers.trainer_utils.SaveStrategy",
    "transformers.trainer_utils.SchedulerType",
    "transformers.training_args.OptimizerNames",
}

RECONSTRUCTED_GLOBALS: Final[frozenset[str]] = frozenset(
    {
        "transformers.training_args.TrainingArguments",
        "transformers.trainer_pt_utils.AcceleratorConfig",
        "accelerate.state.PartialState",
    }
)
"""Classes that are safe only as the class of a ``NEWOBJ`` (``cls.__new__(cls)`` + the instance
dict: none defines ``__new__``/``__setstate__``), what ``torch.save(TrainingArguments)`` writes.
Used any other way (called by ``REDUCE``/``INST``/``OBJ``, put in a container another callable
could receive) they run their constructor with attacker-chosen arguments, so they are then
judged ``unknown``."""

DANGEROUS_MODULES: Final[frozenset[str]] = frozenset(
    {
        # processes, code execution, interpreter internals
        "os", "posix", "nt", "subprocess", "_posixsubprocess", "pty", "sys", "builtins",
        "__builtin__", "runpy", "code", "codeop", "types", "importlib", "imp", "zipimport",
        "site", "ctypes", "_ctypes", "multiprocessing", "_multiprocessing", "threading",
        "_thread", "signal", "asyncio", "bdb", "pdb", "timeit", "profile", "cProfile", "trace",
        "commands", "popen2", "platform", "pip", "webbrowser",
        # nested deserialisers
        "pickle", "_pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle", "joblib",
        # call / attribute gadgets
        "operator", "_operator", "functools",
        # files and network
        "io", "_io", "shutil", "tempfile", "socket", "_socket", "http", "httplib", "urllib",
        "urllib2", "requests", "aiohttp", "ftplib", "smtplib", "telnetlib",
        # framework entry points that load or compile code
        "torch.hub", "torch.jit", "torch.package", "torch._inductor", "torch._dynamo",
        "torch.utils.cpp_extension", "numpy.f2py", "numpy.distutils",
    }
)  # fmt: skip
"""Modules whose every member is treated as dangerous (submodules included)."""

DANGEROUS_GLOBALS: Final[frozenset[str]] = frozenset(
    {
        "torch.load",
        "torch.save",
        "torch.serialization.load",
        "torch.serialization.save",
        "numpy.load",
        "numpy.save",
        "numpy.testing._private.utils.runstring",
    }
)
"""Individual globals that load nested pickles, write files or evaluate strings."""


def classify(module: str, name: str, *, protocol: int = 4) -> Verdict:
    """Judge one global. ``protocol`` < 3 applies the Python 2 name mapping, as loading would."""
    if protocol < 3:
        module, name = py3_names(module, name)
    qualname = f"{module}.{name}"
    if qualname in SAFE_GLOBALS or qualname in RECONSTRUCTED_GLOBALS:
        return "safe"
    if qualname in DANGEROUS_GLOBALS or _under(module, DANGEROUS_MODULES):
        return "dangerous"
    # ``name`` may be a dotted path walked with getattr: ``torch`` + ``_utils.os.system``.
    parts = name.split(".")
    if any(p.startswith("__") and p.endswith("__") for p in parts):
        return "dangerous"
    for i in range(len(parts)):
        if ".".join(parts[i:]) in DANGEROUS_GLOBALS or _under(
            ".".join(parts[i:-1]), DANGEROUS_MODULES
        ):
            return "dangerous"
    return "unknown"


def reconstruct_only(module: str, name: str) -> bool:
    return f"{module}.{name}" in RECONSTRUCTED_GLOBALS or (
        f"{py3_names(module, name)[0]}.{py3_names(module, name)[1]}" in RECONSTRUCTED_GLOBALS
    )


def _under(module: str, modules: frozenset[str]) -> bool:
    while module:
        if module in modules:
            return True
        module = module.rpartition(".")[0]
    return False


def py3_names(module: str, name: str) -> tuple[str, str]:
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name
