"""Turn parsed YAML/JSON/TOML values into plain JSON values.

Records end up in a canonical-JSON BOM, so parsed data must be JSON-shaped: string keys, lists,
finite numbers. YAML and TOML also give dates, sets, binary and non-finite floats; these become
strings here, once, for every collector. The input comes from :mod:`mbom.load`, which has
already bounded its depth and alias expansion, so this walk cannot run away.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
from typing import Any, TypeAlias

from mbom.errors import MalformedFileError

Scalar: TypeAlias = str | int | float | bool | None
"""A JSON scalar."""


def to_json_value(value: Any, name: str) -> Any:
    """Return ``value`` as JSON-compatible data (dict with str keys, list, JSON scalars).

    ``name`` names the source file in errors. Raises :class:`MalformedFileError` when two keys
    become the same text (YAML ``1`` and ``"1"``).
    """

    def convert(item: Any) -> Any:
        if isinstance(item, dict):
            out: dict[str, Any] = {}
            for key, sub in item.items():
                text = key_text(key)
                if text in out:
                    raise MalformedFileError(
                        f"{name}: key {text!r} appears twice once keys are written as text",
                        path=name,
                    )
                out[text] = convert(sub)
            return out
        if isinstance(item, list | tuple):
            return [convert(sub) for sub in item]
        if isinstance(item, set | frozenset):
            converted = [convert(sub) for sub in item]
            return sorted(converted, key=lambda v: json.dumps(v, sort_keys=True))
        return scalar(item)

    return convert(value)


def scalar(value: Any) -> Scalar:
    """Return a JSON scalar for a parsed scalar (dates as ISO 8601, bytes as base64)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, _dt.date | _dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


def key_text(key: Any) -> str:
    """Return a mapping key as text: strings as they are, other scalars as JSON spells them."""
    if isinstance(key, str):
        return key
    converted = scalar(key)
    if isinstance(converted, str):
        return converted
    return json.dumps(converted)


def is_scalar(value: Any) -> bool:
    """True for JSON scalars (what :func:`to_json_value` leaves that is not a dict or list)."""
    return value is None or isinstance(value, bool | int | float | str)
