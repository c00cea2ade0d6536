"""Strict JSON: RFC 8259 documents only, bounded, with reasons a person can act on.

Python's ``json`` module accepts what the JSON spec does not (NaN, Infinity, duplicate keys,
where the last value silently wins) and fails in ways that are not syntax errors (RecursionError
on deep nesting, ValueError on integers over 4,300 digits, strings with lone surrogates that
later cannot be written). Every JSON input mbom reads goes through :func:`parse_json`, which
turns all of these into one :class:`JsonSyntaxError`. Trailing commas, the most common defect
of hand-edited files, are named as such and pointed at.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from mbom.errors import MalformedFileError
from mbom.load._limits import MAX_DEPTH, int_digits_limit
from mbom.load._tree import lone_surrogate

_MAX_TRAILING_COMMAS_REPORTED = 20
_NOT_SKELETON = bytes(range(256)).translate(None, b'[]{}"')
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class JsonSyntaxError(ValueError):
    """The text is not an acceptable JSON document.

    ``detail`` says what is wrong, ``line``/``column`` (1-based) where when known; ``reason`` is
    both in one phrase ("expecting ',' delimiter at line 3 column 3").
    """

    def __init__(
        self, detail: str, line: int | None = None, column: int | None = None, more: str = ""
    ) -> None:
        where = f" at line {line} column {column}" if line is not None else ""
        super().__init__(f"{detail}{where}{more}")
        self.detail = detail
        self.line = line
        self.column = column
        self.more = more
        self.reason = f"{detail}{where}{more}"


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JsonSyntaxError(f"duplicate key {key!r}")
            seen.add(key)
    return document


def _reject_constant(name: str) -> Any:
    raise JsonSyntaxError(f"{name} is not allowed in JSON")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JsonSyntaxError(f"number {text[:40]} is out of range")
    return value


def _loads(text: str, allow_nan: bool) -> Any:
    if allow_nan:
        return json.loads(text, object_pairs_hook=_object)
    return json.loads(
        text, object_pairs_hook=_object, parse_constant=_reject_constant, parse_float=_finite
    )


def nesting_depth_exceeds(data: bytes, limit: int = MAX_DEPTH) -> bool:
    """True when the JSON ``data`` nests arrays/objects more than ``limit`` deep.

    Decided on the bytes before parsing, without recursion (the parser's own recursion is what
    a deep document attacks) and with C-speed bytes operations only: escaped backslashes and
    quotes go, then everything but quotes and brackets; adjacent quote pairs (empty strings)
    go, which keeps every later quote's parity, then what strings remain. Each pass then
    replaces the innermost ``[]`` and ``{}`` pairs by a marker (so exactly one level goes a
    pass) and drops the markers: a document of depth d is empty after d passes. Unbalanced
    brackets stop shrinking; the parser reports them.
    """
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    skeleton = data.translate(None, _NOT_SKELETON).replace(b'""', b"")
    brackets = b"".join(skeleton.split(b'"')[::2]) if b'"' in skeleton else skeleton
    for _ in range(limit):
        if not brackets:
            return False
        shorter = brackets.replace(b"[]", b"\0").replace(b"{}", b"\0").replace(b"\0", b"")
        if len(shorter) == len(brackets):
            return False
        brackets = shorter
    return bool(brackets)


def decode_text(data: bytes) -> str:
    """Decode JSON bytes as UTF-8 (a leading byte-order mark is tolerated)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise JsonSyntaxError(f"not valid UTF-8 text (bad byte at offset {exc.start})") from None


def parse_json(data: bytes | str, *, allow_nan: bool = False) -> Any:
    """Parse one JSON document or raise :class:`JsonSyntaxError` with a readable reason.

    Refused: duplicate keys, nesting deeper than :data:`~mbom.load.MAX_DEPTH`, integers longer
    than :data:`~mbom.load.MAX_INT_DIGITS` digits, strings with a lone surrogate, and (unless
    ``allow_nan``, for configs written by Python's ``json``) NaN, Infinity and numbers that
    overflow to infinity.
    """
    text = decode_text(data) if isinstance(data, bytes) else data
    if not text.strip():
        raise JsonSyntaxError("the file is empty")
    try:  # a str (a command-line argument, say) may hold surrogates without any escape
        raw = data if isinstance(data, bytes) else text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise JsonSyntaxError(
            f"a lone UTF-16 surrogate at character {exc.start} (not a Unicode character)"
        ) from None
    if nesting_depth_exceeds(raw):
        raise JsonSyntaxError(f"nested deeper than {MAX_DEPTH} levels")
    try:
        document = _loads(text, allow_nan)
    except json.JSONDecodeError as exc:
        raise _syntax_error(text, exc, allow_nan) from None
    except JsonSyntaxError:
        raise
    except RecursionError:  # a deep stack at the call site; the text itself was checked
        raise JsonSyntaxError(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            raise JsonSyntaxError(f"an integer has more than {int_digits_limit()} digits") from None
        raise JsonSyntaxError(str(exc) or type(exc).__name__) from None
    if _SURROGATE_ESCAPE.search(text):
        bad = lone_surrogate(document)
        if bad is not None:
            raise JsonSyntaxError(
                f"string {bad[:40]!r} holds a lone UTF-16 surrogate (not a Unicode character)"
            )
    return document


def load_json(
    data: bytes | str, name: str, *, allow_nan: bool = False, path: str | None = None
) -> Any:
    """:func:`parse_json`, failing with :func:`json_error`'s one-line message about ``name``."""
    try:
        return parse_json(data, allow_nan=allow_nan)
    except JsonSyntaxError as exc:
        raise json_error(name, exc, path=path) from None


def json_error(name: str, exc: JsonSyntaxError, *, path: str | None = None) -> MalformedFileError:
    """The one wording of a JSON error, everywhere: "NAME: not valid JSON: REASON at line L
    column C" (an input error naming the file; the reason says what to fix). ``path``: the
    file, when ``name`` describes a part of it."""
    return MalformedFileError(f"{name}: not valid JSON: {exc.reason}", path=path or name)


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _syntax_error(text: str, exc: json.JSONDecodeError, allow_nan: bool) -> JsonSyntaxError:
    comma = _trailing_comma_before(text, exc.pos)
    if comma is None:
        msg = exc.msg[:1].lower() + exc.msg[1:]
        return JsonSyntaxError(msg, exc.lineno, exc.colno)
    commas = _all_trailing_commas(text, comma, allow_nan)
    line, col = _line_col(text, comma)
    more = ""
    if len(commas) > 1:
        lines = ", ".join(str(_line_col(text, c)[0]) for c in commas)
        more = f" ({len(commas)} trailing commas, on lines {lines})"
    return JsonSyntaxError("trailing comma", line, col, more)


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


def _all_trailing_commas(text: str, first: int, allow_nan: bool) -> list[int]:
    """Positions (in ``text``) of the first and any further trailing commas, found by removal."""
    found = [first]
    current = text[:first] + " " + text[first + 1 :]  # same length: positions stay valid
    while len(found) < _MAX_TRAILING_COMMAS_REPORTED:
        try:
            _loads(current, allow_nan)
        except json.JSONDecodeError as exc:
            comma = _trailing_comma_before(current, exc.pos)
            if comma is None:
                break
            found.append(comma)
            current = current[:comma] + " " + current[comma + 1 :]
        except (ValueError, RecursionError):
            break
        else:
            break
    return found
