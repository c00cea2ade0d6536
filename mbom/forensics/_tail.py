"""What the bytes after a log's last newline are: nothing, a torn write, or not a torn write.

``append`` writes a whole entry and its newline with one ``write``, so a crash can leave only a
*prefix* of a canonical entry line: it starts like every entry line (``{"event":{``, the first
key in RFC 8785 order) and cannot be a complete JSON value (the closing brace of a canonical
line is its last byte). Some filesystems also leave a run of NUL bytes after a crash. Anything
else after the last newline was written by something other than an interrupted append, and is
never treated as harmless: a tail that parses as JSON is verified as an entry that lost its
newline, any other is foreign. One function decides this for verify, append and repair.
"""

from __future__ import annotations

import json

#: How every entry line starts (``event`` sorts first among the entry's keys).
LINE_START = b'{"event":{'

NONE = "none"
TORN = "torn"  # an interrupted append: verify warns, only ``mbom log repair`` cuts it
ENTRY = "entry"  # parses as JSON: a line without its newline, verified as an entry
FOREIGN = "foreign"  # neither: bytes no append writes


def classify_tail(tail: bytes) -> str:
    """:data:`NONE`, :data:`TORN`, :data:`ENTRY` or :data:`FOREIGN` for the bytes after the
    last newline."""
    if not tail:
        return NONE
    try:  # any complete JSON value, however lax: the entry checks then say what is wrong
        json.loads(tail.decode(errors="replace"))
    except (ValueError, RecursionError):
        pass
    else:
        return ENTRY
    written = tail.rstrip(b"\x00")
    if written.startswith(LINE_START) or LINE_START.startswith(written):
        return TORN
    return FOREIGN


def escape_bytes(data: bytes, limit: int | None = 64) -> str:
    """``data`` as printable ASCII: other bytes (and ``\\``) as ``\\xNN``; ``…`` past ``limit``."""
    shown = data[:limit]
    text = "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else f"\\x{b:02x}" for b in shown)
    return text + ("…" if len(shown) < len(data) else "")
