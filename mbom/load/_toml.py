"""TOML with the same bounds as JSON and YAML.

``tomllib`` already refuses duplicate keys and non-scalar escapes; what it does not bound is
depth (``a.b.c...`` dotted keys build any depth without recursing, inline arrays recurse
until the interpreter gives up) and integer length.
"""

from __future__ import annotations

import re
from typing import Any

from mbom.errors import InputError
from mbom.load._limits import MAX_DEPTH, check_size, int_digits_limit, malformed
from mbom.load._tree import too_deep

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def load_toml(text: str, name: str) -> Any:
    """Parse TOML text with ``tomllib`` (Python 3.11+) or ``tomli`` when that is installed."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError:
            raise InputError(
                f"{name}: reading TOML needs Python 3.11 or newer, or the 'tomli' package",
                path=name,
            ) from None
    check_size(text, name, "TOML")
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = getattr(exc, "lineno", None)
        column = getattr(exc, "colno", None)
        found = _TOML_POSITION.search(message)
        if found:
            message = message[: found.start()]
            if line is None:
                line, column = int(found.group(1)), int(found.group(2))
        raise malformed(name, "TOML", getattr(exc, "msg", None) or message, line, column) from None
    except RecursionError:
        raise malformed(name, "TOML", f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # only the integer-length limit gets past tomllib
        detail = str(exc)
        if "integer string conversion" in detail:
            detail = f"an integer has more than {int_digits_limit()} digits"
        raise malformed(name, "TOML", detail) from None
    if too_deep(document, MAX_DEPTH):
        raise malformed(name, "TOML", f"nested deeper than {MAX_DEPTH} levels")
    return document
