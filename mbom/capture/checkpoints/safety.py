"""The one answer to "can loading this file execute code?", for capture and for the verifier.

Every format the checkpoint reader can emit is classified here, once. The BOM builder writes
what this module decides (``mbom:checkpoint:*`` properties); ``mbom verify``'s
``unsafe-checkpoint`` check, the ``forbidPickle`` / ``forbidFlaggedCheckpoints`` policy rules,
``mbom validate`` and the audit report read the same properties back through
:func:`recorded_safety`. Nothing else in mbom keeps its own list of pickle formats or suffixes.

Two questions, kept apart:

* **executes code**: the format's loader can run code at all (a pickle can, whatever it holds;
  a numpy array can only when its dtype is ``object``; a Keras model can through Lambda layers
  and custom objects; safetensors, GGUF, ONNX and TFLite cannot);
* **safe to load**: the scan read the whole file and every import is on the allow-list (a
  ``torch.save`` state dict is code-executing by format, yet safe as scanned).

``forbidPickle`` forbids the first, ``forbidFlaggedCheckpoints`` the second. When a BOM does
not record what a rule needs, the rule fails (fail closed): see :func:`recorded_safety`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

Executes = Literal["never", "always", "if-pickled"]

FORMAT_PROPERTY: Final = "mbom:checkpoint:format"
EXECUTES_PROPERTY: Final = "mbom:checkpoint:executes-code"
SAFE_PROPERTY: Final = "mbom:checkpoint:safe-to-load"
COMPRESSION_PROPERTY: Final = "mbom:checkpoint:compression"
GLOBALS_PROPERTY: Final = "mbom:checkpoint:pickle-globals"
UNSAFE_PROPERTY: Final = "mbom:checkpoint:unsafe-globals"
DANGEROUS_PROPERTY: Final = "mbom:checkpoint:dangerous-globals"
ISSUES_PROPERTY: Final = "mbom:checkpoint:issues"
SCAN_PROPERTY: Final = "mbom:checkpoint:scan"
"""On the model component: how its files were examined. :data:`CONTENT_SCAN` means every
regular file was classified by its bytes, so a file without a format is not a checkpoint."""
CONTENT_SCAN: Final = "content-v1"


@dataclass(frozen=True, slots=True)
class FormatSafety:
    """How one checkpoint format can run code when loaded, and why."""

    format: str
    executes: Executes
    loader: str
    why: str


_TABLE: Final = (
    FormatSafety("safetensors", "never", "safetensors", "JSON header + raw tensor bytes"),
    FormatSafety("gguf", "never", "llama.cpp / gguf", "typed key/values + raw tensor bytes"),
    FormatSafety("onnx", "never", "onnxruntime", "protobuf graph; no Python is loaded"),
    FormatSafety("tflite", "never", "TFLite interpreter", "flatbuffer graph; no Python is loaded"),
    FormatSafety(
        "keras",
        "always",
        "keras.models.load_model",
        "zip of config.json: Lambda layers and custom objects run or import code",
    ),
    FormatSafety(
        "keras-hdf5",
        "always",
        "keras.models.load_model",
        "HDF5; a model_config attribute may hold Lambda layers (marshalled bytecode)",
    ),
    FormatSafety("pytorch", "always", "torch.load", "zip archive whose data.pkl is a pickle"),
    FormatSafety(
        "pytorch-legacy", "always", "torch.load", "five consecutive pickles + raw storages"
    ),
    FormatSafety("pickle", "always", "pickle.load", "a pickle stream (any protocol)"),
    FormatSafety("joblib", "always", "joblib.load", "a pickle, often zlib/gzip/lz4-compressed"),
    FormatSafety(
        "numpy", "if-pickled", "numpy.load", "object arrays are pickles (allow_pickle=True)"
    ),
    FormatSafety("numpy-npz", "if-pickled", "numpy.load", "zip of .npy members"),
    FormatSafety("zip", "if-pickled", "any", "a zip archive holding pickles (any member name)"),
    FormatSafety(
        "compressed", "always", "joblib / any", "compressed content that could not be read"
    ),
)
FORMATS: Final[Mapping[str, FormatSafety]] = {entry.format: entry for entry in _TABLE}
"""Every value ``mbom:checkpoint:format`` can take, with its classification."""


def executes_code(fmt: str | None, *, pickled: bool | None = None) -> bool:
    """Can loading a file of format ``fmt`` run code? ``pickled``: the scan found a pickle in it.

    Unknown formats, and conditional formats whose content is not known, answer True: a gate
    must not assume the harmless case.
    """
    entry = FORMATS.get(fmt or "")
    if entry is None or entry.executes == "always":
        return True
    if entry.executes == "never":
        return False
    return pickled is not False


@dataclass(frozen=True, slots=True)
class RecordedSafety:
    """What a BOM says about one file, judged the same way by every reader.

    ``executes`` / ``safe`` are None when the BOM does not say (the file is then unknown, and
    the rules treat unknown as failing); ``reason`` explains a False or None.
    """

    path: str
    format: str | None
    executes: bool | None
    safe: bool | None
    callables: tuple[str, ...]
    issues: tuple[str, ...]
    reason: str

    @property
    def flagged(self) -> bool:
        """Unsafe, or not provably safe: what ``forbidFlaggedCheckpoints`` rejects."""
        return self.safe is not True

    @property
    def verdict(self) -> str:
        """``safe``, ``unsafe`` (the scan flagged it) or ``unknown`` (the BOM does not say)."""
        return {True: "safe", False: "unsafe"}.get(self.safe, "unknown")  # type: ignore[arg-type]

    def describe(self) -> str:
        """One line for warnings and reports: format, then the callables or the reason."""
        what = ", ".join(self.callables[:8]) + (" ..." if len(self.callables) > 8 else "")
        return f"{self.format or 'unknown format'}: {what or self.reason}"


def recorded_safety(path: str, props: Mapping[str, str], *, scanned: bool) -> RecordedSafety:
    """Judge a BOM file component's properties; ``scanned``: the model records a content scan.

    A file with no format is a non-checkpoint only when the whole model was content-scanned;
    otherwise nothing proves it is not a pickle, so it is unknown (fails both rules).
    """
    fmt = props.get(FORMAT_PROPERTY)
    callables = _json_list(props.get(DANGEROUS_PROPERTY)) + tuple(
        g
        for g in _json_list(props.get(UNSAFE_PROPERTY))
        if g not in _json_list(props.get(DANGEROUS_PROPERTY))
    )
    issues = _json_list(props.get(ISSUES_PROPERTY))
    if fmt is None:
        if scanned:
            return RecordedSafety(path, None, False, True, (), (), "not a checkpoint")
        return RecordedSafety(
            path,
            None,
            None,
            None,
            (),
            (),
            f"the BOM does not record a content scan ({SCAN_PROPERTY})",
        )
    recorded = props.get(EXECUTES_PROPERTY)
    if recorded in ("true", "false"):
        executes: bool | None = recorded == "true"
    else:
        # A BOM from before executes-code was recorded: the format decides, conditionals fail.
        executes = executes_code(fmt) if fmt in FORMATS else None
    safe_text = props.get(SAFE_PROPERTY)
    if safe_text == "true" and not callables:
        return RecordedSafety(path, fmt, executes, True, (), issues, "safe to load")
    if safe_text == "true":
        reason = "safe-to-load is true but flagged globals are recorded"
    elif safe_text == "false":
        reason = "; ".join(issues[:2]) or "safe-to-load is false"
    else:
        reason = f"no {SAFE_PROPERTY} property"
    return RecordedSafety(
        path, fmt, executes, False if safe_text else None, callables, issues, reason
    )


def recorded_files(model: Mapping[str, object]) -> tuple[RecordedSafety, ...]:
    """:func:`recorded_safety` for every regular file of a BOM's model component.

    Symbolic links are left out (their targets are files of their own). A property given
    twice with different values is a contradiction the signer made: that file is unknown.
    """
    own = _properties(model)
    scanned = own.get(SCAN_PROPERTY) == CONTENT_SCAN
    found = []
    for component in model.get("components") or ():  # type: ignore[attr-defined]
        if not isinstance(component, Mapping) or component.get("type") != "file":
            continue
        props = _properties(component)
        if "mbom:symlink" in props:
            continue
        name = str(component.get("name"))
        if _CONFLICT in props.values():
            bad = sorted(k for k, v in props.items() if v is _CONFLICT)
            found.append(
                RecordedSafety(
                    name, None, None, None, (), (), f"conflicting values for {', '.join(bad)}"
                )
            )
            continue
        found.append(recorded_safety(name, props, scanned=scanned))
    return tuple(found)


class _Conflict(str):
    __slots__ = ()


_CONFLICT: Final = _Conflict("<conflicting values>")


def _properties(component: Mapping[str, object]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in component.get("properties") or ():  # type: ignore[attr-defined]
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            name, value = item["name"], str(item.get("value", ""))
            found[name] = value if found.get(name, value) == value else _CONFLICT
    return found


def _json_list(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    try:
        value = json.loads(text)
    except ValueError:
        return (text,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)
