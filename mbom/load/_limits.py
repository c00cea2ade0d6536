"""The bounds every structured input is held to, and the one-line error that names the file.

A document is data from outside: a policy, a BOM, a bundle, a config. Its size must not
decide how long mbom runs or how deep its stack gets, so every format is bounded the same way
here (docs/threat-model.md, "Input limits"). The numbers sit well above any real document and
well below what the interpreter survives: Python stops at 1,000 stack frames, and every walk
over a parsed document (schema validation takes several frames a level) shares that stack.
"""

from __future__ import annotations

import sys

from mbom.errors import MalformedFileError

MAX_DEPTH = 128
"""Deepest nesting of arrays/objects (mappings/sequences) in any JSON, YAML or TOML input."""

MAX_NODES = 1_000_000
"""Most values a YAML document may hold once its aliases are expanded."""

MAX_ALIAS_NODES = 100_000
"""Most values YAML aliases may add by expansion (a "billion laughs" is refused at once)."""

MAX_TEXT_CHARS = 16 * 1024 * 1024
"""Longest YAML or TOML text read (policies, mbom.yaml, configs, card front matter)."""

MAX_INT_DIGITS = 4300
"""Longest integer literal: Python's own int/str conversion limit (CVE-2020-10735)."""


def int_digits_limit() -> int:
    """The interpreter's integer-digit limit in force (0 means unlimited), else ours."""
    get = getattr(sys, "get_int_max_str_digits", None)
    limit = get() if get is not None else 0
    return min(limit, MAX_INT_DIGITS) if limit else MAX_INT_DIGITS


def malformed(
    name: str, fmt: str, detail: str, line: int | None = None, column: int | None = None
) -> MalformedFileError:
    """Build the one-line "NAME: invalid FMT at line L column C: detail" error."""
    where = ""
    if line is not None:
        where = f" at line {line}" + (f" column {column}" if column is not None else "")
    one_line = " ".join(detail.split()) or "syntax error"
    return MalformedFileError(f"{name}: invalid {fmt}{where}: {one_line}", path=name)


def check_size(text: str, name: str, fmt: str) -> None:
    """Refuse a text over :data:`MAX_TEXT_CHARS` before a slow parser spends time on it."""
    if len(text) > MAX_TEXT_CHARS:
        raise MalformedFileError(
            f"{name}: {fmt} text of {len(text)} characters is over the {MAX_TEXT_CHARS}-character"
            " limit; refusing",
            path=name,
        )
