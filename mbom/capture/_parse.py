"""Read YAML, JSON and TOML files with one-line errors that name the file and the line.

Training configs, Hugging Face ``config.json`` files and model-card front matter all need the
same thing: parse text safely (``yaml.safe_load`` only) and, when it does not parse, tell the
user ``"NAME: invalid FMT at line L column C: detail"`` instead of a traceback.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import yaml

from mbom.errors import InputError, MalformedFileError, UnreadableFileError

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def read_text(path: str | os.PathLike[str]) -> str:
    """Return the UTF-8 text of ``path`` (a leading BOM is dropped).

    Raises :class:`InputError` when missing or a directory, :class:`UnreadableFileError` when it
    cannot be read, :class:`MalformedFileError` when it is not UTF-8.
    """
    name = os.fspath(path)
    try:
        data = Path(name).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{name}: no such file", path=name) from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, expected a file", path=name) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UnreadableFileError(f"{name}: cannot read: {reason}", path=name) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedFileError(
            f"{name}: not UTF-8 text (invalid byte at offset {exc.start})", path=name
        ) from None


def malformed(
    name: str, fmt: str, detail: str, line: int | None = None, column: int | None = None
) -> MalformedFileError:
    """Build the one-line "NAME: invalid FMT at line L column C: detail" error."""
    where = ""
    if line is not None:
        where = f" at line {line}" + (f" column {column}" if column is not None else "")
    one_line = " ".join(detail.split()) or "syntax error"
    return MalformedFileError(f"{name}: invalid {fmt}{where}: {one_line}", path=name)


def load_yaml(text: str, name: str, *, line_offset: int = 0) -> Any:
    """Parse one YAML document with ``yaml.safe_load``.

    ``line_offset`` is added to reported line numbers, for YAML embedded in a larger file
    (model-card front matter starts after the ``---`` line).
    """
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = exc.problem or exc.context or "syntax error"
        if mark is None:
            raise malformed(name, "YAML", detail) from None
        raise malformed(
            name, "YAML", detail, mark.line + 1 + line_offset, mark.column + 1
        ) from None
    except yaml.YAMLError as exc:  # ReaderError (control characters) and other unmarked errors
        position = getattr(exc, "position", None)
        line = None
        if isinstance(position, int):
            line = text.count("\n", 0, position) + 1 + line_offset
        raise malformed(name, "YAML", str(exc).splitlines()[0] if str(exc) else "", line) from None
    except RecursionError:
        raise malformed(name, "YAML", "nested too deeply") from None


def load_json(text: str, name: str) -> Any:
    """Parse JSON text (Python's json module, which also accepts NaN and Infinity)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise malformed(name, "JSON", exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise malformed(name, "JSON", "nested too deeply") from None


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
    try:
        return tomllib.loads(text)
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
        raise malformed(name, "TOML", "nested too deeply") from None
