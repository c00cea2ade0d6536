"""Canonical JSON, as Rekor writes entry bodies and signs entry timestamps.

RFC 8785 restricted to what the log produces (objects, arrays, strings, integers, booleans):
for those values sorted keys, no whitespace and literal UTF-8 are the whole canonical form.
"""

from __future__ import annotations

import json
from typing import Any


def canonical_json(value: Any) -> bytes:
    """Serialise `value` canonically; floats are refused because RFC 8785 number output differs."""
    _reject_floats(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _reject_floats(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("canonical_json: floats are not supported")
    if isinstance(value, dict):
        for item in value.values():
            _reject_floats(item)
    elif isinstance(value, list):
        for item in value:
            _reject_floats(item)
