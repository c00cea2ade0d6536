"""Turn parsed YAML/JSON/TOML values into plain JSON values, within bounds.

Records end up in a canonical-JSON BOM, so parsed data must be JSON-shaped: string keys, lists,
finite numbers. YAML and TOML also give dates, sets, binary and non-finite floats; these become
strings here, once, for every collector. YAML aliases can make a tiny file expand into a huge
tree ("billion laughs") or a cycle, so the walk is bounded in depth and size. Text must be
valid Unicode: JSON's ``"\ud800"`` escape and YAML's give a lone surrogate, which no UTF-8
writer can encode; it is refused here, naming the field, not met by the BOM writer later.
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

MAX_DEPTH = 200
MAX_NODES = 1_000_000


def to_json_value(value: Any, name: str) -> Any:
    """Return ``value`` as JSON-compatible data (dict with str keys, list, JSON scalars).

    ``name`` names the source file in errors. Raises :class:`MalformedFileError` when the data
    nests deeper than :data:`MAX_DEPTH` (or is cyclic) or expands past :data:`MAX_NODES` nodes.
    """
    budget = [MAX_NODES]
    try:
        return _convert(value, name, budget)
    except _LoneSurrogate as exc:
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in exc.parts)
        where = where.encode("utf-8", "backslashreplace").decode("utf-8")  # printable
        raise MalformedFileError(
            f"{name}: {where.lstrip('.') or '(top level)'}: text holds a lone surrogate "
            f"({exc.text!r}), which is not Unicode; refusing",
            path=name,
        ) from None


class _LoneSurrogate(Exception):
    """Raised where a bad string is; each level adds its key on the way up (no cost when
    nothing is wrong)."""

    def __init__(self, text: str) -> None:
        self.text = text[:40]
        self.parts: list[str | int] = []


def _checked(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _LoneSurrogate(text) from None
    return text


def _convert(value: Any, name: str, budget: list[int]) -> Any:
    def convert(item: Any, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise MalformedFileError(
                f"{name}: more than {MAX_NODES} values after expanding aliases; refusing",
                path=name,
            )
        if depth > MAX_DEPTH:
            raise MalformedFileError(
                f"{name}: nested deeper than {MAX_DEPTH} levels (or self-referencing); refusing",
                path=name,
            )
        if isinstance(item, dict):
            out: dict[str, Any] = {}
            for key, sub in item.items():
                text = key_text(key)
                if text in out:
                    raise MalformedFileError(
                        f"{name}: key {text!r} appears twice once keys are written as text",
                        path=name,
                    )
                try:
                    out[_checked(text)] = convert(sub, depth + 1)
                except _LoneSurrogate as exc:
                    exc.parts.insert(0, text)
                    raise
            return out
        if isinstance(item, list | tuple):
            converted = []
            for index, sub in enumerate(item):
                try:
                    converted.append(convert(sub, depth + 1))
                except _LoneSurrogate as exc:
                    exc.parts.insert(0, index)
                    raise
            return converted
        if isinstance(item, str):
            return _checked(item)
        if isinstance(item, set | frozenset):
            converted = [convert(sub, depth + 1) for sub in item]
            return sorted(converted, key=lambda v: json.dumps(v, sort_keys=True))
        return scalar(item)

    return convert(value, 0)


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
