"""Text that prints as what it is: every control character in a value spelled as an escape.

Usage::

    from mbom._one_line import one_line

    print(f"FAIL  extra-file  model file {one_line(name)}: not in the attestation")

File names, BOM fields and bundle values are the producer's, or an attacker's. Printed as
they are, a name holding a newline forges report lines (``"x\\nPASS  signature ..."``), and
one holding terminal escapes moves the cursor and erases lines on the reader's terminal
(``\\x1b[1A\\x1b[2K`` hides the line above); click strips such escapes when the output is a
pipe, so a log would name a file that does not exist. Text renderers pass every value (or
every finished line) through :func:`one_line`: C0 and C1 controls and DEL become ``\\xNN``;
line and paragraph separators and the bidirectional controls that reorder what a terminal
shows ("Trojan Source"), lone surrogates and the noncharacters U+FFFE and U+FFFF (which
XML 1.0 cannot carry either) become ``\\uNNNN``. A backslash is left as it is (regular
expressions in policy messages keep their spelling), so ``\\x1b`` typed into a name reads
the same as an escaped ESC: the escapes are for reading, JSON and SARIF carry exact values.
"""

from __future__ import annotations

import re
from functools import cache

#: Every character :func:`one_line` escapes. Each one is also outside ``str.isprintable``, so
#: printable text, nearly all of it, returns as it is without the pattern (compiled on first
#: need: 0.6 ms that ``mbom --version`` and the path to the hashing do not pay).
_UNSAFE_CHARACTERS = (
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff\ufffe\uffff]"
)


@cache
def _unsafe() -> re.Pattern[str]:
    return re.compile(_UNSAFE_CHARACTERS)


def _escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """``text`` with every control and reordering character escaped: one line, shown as is."""
    if text.isprintable():
        return text
    return _unsafe().sub(_escape, text)


def has_unsafe(text: str) -> bool:
    """Whether :func:`one_line` would change ``text``."""
    return not text.isprintable() and _unsafe().search(text) is not None
