"""Strict JSON parsing with reasons a person can act on.

Third-party BOMs are often hand-edited; the most common defect is a trailing comma, which
Python's ``json`` reports as "Expecting property name enclosed in double quotes" at the
closing bracket. This module names the real problem and points at the comma itself.
"""

from __future__ import annotations

import json
from typing import Any

_MAX_TRAILING_COMMAS_REPORTED = 20


class JsonSyntaxError(ValueError):
    """The bytes are not a JSON document; ``reason`` says why and where (1-based line/column)."""

    def __init__(self, reason: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def _loads(text: str) -> Any:
    return json.loads(text, parse_constant=_reject_constant)


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _trailing_comma_before(text: str, pos: int) -> int | None:
    """Index of a trailing comma at or just before ``pos`` (a closing bracket), if any.

    Python < 3.13 reports the error at the closing bracket, 3.13+ at the comma itself.
    """
    if pos < len(text) and text[pos] == ",":
        after = text[pos + 1 :].lstrip(" \t\r\n")
        return pos if after[:1] in ("}", "]") else None
    if pos >= len(text) or text[pos] not in "}]":
        return None
    i = pos - 1
    while i >= 0 and text[i] in " \t\r\n":
        i -= 1
    return i if i >= 0 and text[i] == "," else None


def _all_trailing_commas(text: str, first: int) -> list[int]:
    """Positions (in ``text``) of the first and any further trailing commas, found by removal."""
    found = [first]
    current = text[:first] + " " + text[first + 1 :]  # same length: positions stay valid
    while len(found) < _MAX_TRAILING_COMMAS_REPORTED:
        try:
            _loads(current)
        except json.JSONDecodeError as exc:
            comma = _trailing_comma_before(current, exc.pos)
            if comma is None:
                break
            found.append(comma)
            current = current[:comma] + " " + current[comma + 1 :]
        except ValueError:
            break
        else:
            break
    return found


def decode_text(data: bytes) -> str:
    """Decode JSON bytes as UTF-8 (a leading byte-order mark is tolerated)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise JsonSyntaxError(f"not valid UTF-8 text (bad byte at offset {exc.start})") from None


def parse_json(data: bytes | str) -> Any:
    """Parse one JSON document or raise :class:`JsonSyntaxError` with a readable reason."""
    text = decode_text(data) if isinstance(data, bytes) else data
    if not text.strip():
        raise JsonSyntaxError("the file is empty")
    try:
        return _loads(text)
    except json.JSONDecodeError as exc:
        comma = _trailing_comma_before(text, exc.pos)
        if comma is not None:
            commas = _all_trailing_commas(text, comma)
            line, col = _line_col(text, comma)
            reason = f"trailing comma at line {line} column {col}"
            if len(commas) > 1:
                lines = ", ".join(str(_line_col(text, c)[0]) for c in commas)
                reason += f" ({len(commas)} trailing commas, on lines {lines})"
            raise JsonSyntaxError(reason, line, col) from None
        msg = exc.msg[:1].lower() + exc.msg[1:]
        raise JsonSyntaxError(
            f"{msg} at line {exc.lineno} column {exc.colno}", exc.lineno, exc.colno
        ) from None
    except RecursionError:
        raise JsonSyntaxError("nested too deeply") from None
    except ValueError as exc:
        raise JsonSyntaxError(str(exc) or type(exc).__name__) from None
