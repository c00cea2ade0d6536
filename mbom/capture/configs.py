"""Training configs (YAML, JSON, TOML) as records with a flat hyperparameter view.

The BOM's ``formulation`` lists a run's hyperparameters; comparing two runs (``mbom diff``) is
much easier on flat, sorted ``{"optimizer.lr": 0.001}`` pairs than on nested documents, so both
the parsed document and the flat view are kept.

Decisions:

* The format is chosen by extension: ``.yaml``/``.yml``, ``.json``, ``.toml`` (any case).
* Parsed data is made JSON-compatible (see :mod:`mbom.capture._jsonvalue`): dates become ISO
  8601 strings, non-finite floats ``"NaN"``/``"Infinity"``, non-string keys their JSON text.
* Flattening joins mapping keys with ``.`` and list indices as ``.0``, ``.1``...; an empty
  mapping or list is kept as the JSON text ``"{}"`` / ``"[]"`` so the key is not lost. Keys are
  sorted by code point. When two paths flatten to the same key (``a.b: 1`` beside
  ``a: {b: 2}``) parsing fails with :class:`InputError` rather than silently dropping one.
* A document whose top level is not a mapping (a list, a scalar, an empty file) is recorded as
  it is, with ``hyperparameters`` set to None: there are no names to give its values.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from mbom.capture._jsonvalue import Scalar, to_json_value
from mbom.errors import InputError
from mbom.load import load_json, load_toml, read_text


def load_python_json(text: str, name: str) -> Any:
    """Strict JSON, except NaN and Infinity: configs are often written by Python's ``json``."""
    return load_json(text, name, allow_nan=True)


def _load_yaml(text: str, name: str) -> Any:
    """Strict YAML; PyYAML is imported only for a YAML config (15 ms of every start-up)."""
    from mbom.load import load_yaml

    return load_yaml(text, name)


_LOADERS: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    ".yaml": ("yaml", _load_yaml),
    ".yml": ("yaml", _load_yaml),
    ".json": ("json", load_python_json),
    ".toml": ("toml", load_toml),
}


@dataclass(frozen=True, slots=True)
class ConfigRecord:
    """One parsed config file.

    ``data`` and ``hyperparameters`` are plain dicts/lists for easy JSON output: treat them as
    read-only (callers must not mutate them).
    """

    path: str
    """The path as given to :func:`parse_config`."""
    format: str
    """``"yaml"``, ``"json"`` or ``"toml"``."""
    data: Any
    """The parsed document, JSON-compatible."""
    hyperparameters: Mapping[str, Scalar] | None
    """Flat, key-sorted view of a mapping document; None when the top level is not a mapping."""


def parse_config(path: str | os.PathLike[str]) -> ConfigRecord:
    """Parse a YAML, JSON or TOML config file into a :class:`ConfigRecord`.

    Raises :class:`InputError` for an unknown extension or a missing file, and
    :class:`~mbom.errors.MalformedFileError` (naming file and line) when it does not parse.
    """
    name = os.fspath(path)
    suffix = PurePath(name).suffix.lower()
    if suffix not in _LOADERS:
        raise InputError(
            f"{name}: unsupported config format {suffix or '(no extension)'!r}; "
            "expected .yaml, .yml, .json or .toml",
            path=name,
        )
    fmt, loader = _LOADERS[suffix]
    data = to_json_value(loader(read_text(name), name), name)
    flat = flatten(data, name) if isinstance(data, dict) else None
    return ConfigRecord(path=name, format=fmt, data=data, hyperparameters=flat)


def flatten(data: Mapping[str, Any], name: str) -> dict[str, Scalar]:
    """Flatten JSON-compatible ``data`` into sorted dotted keys (see the module docstring)."""
    flat: dict[str, Scalar] = {}

    def put(key: str, value: Scalar) -> None:
        if key in flat:
            raise InputError(
                f"{name}: hyperparameter {key!r} is defined twice once nested keys are "
                "joined with '.'",
                path=name,
            )
        flat[key] = value

    def walk(prefix: str | None, value: Any) -> None:
        if isinstance(value, dict):
            if not value and prefix is not None:
                put(prefix, "{}")
            for key, sub in value.items():
                walk(key if prefix is None else f"{prefix}.{key}", sub)
        elif isinstance(value, list):
            if not value and prefix is not None:
                put(prefix, "[]")
            for index, sub in enumerate(value):
                walk(str(index) if prefix is None else f"{prefix}.{index}", sub)
        elif prefix is not None:
            put(prefix, value)

    walk(None, data)
    return dict(sorted(flat.items()))
