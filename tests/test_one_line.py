"""One line, shown as it is: the escaping every text report applies to values it quotes."""

from __future__ import annotations

import pytest

from mbom._one_line import has_unsafe, one_line


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("model.safetensors", "model.safetensors"),
        ("x\nPASS  signature", "x\\x0aPASS  signature"),
        ("a\r\nb", "a\\x0d\\x0ab"),
        ("x\x1b[1A\x1b[2Khidden", "x\\x1b[1A\\x1b[2Khidden"),
        ("nul\x00", "nul\\x00"),
        ("del\x7f", "del\\x7f"),
        ("c1\x9b31m", "c1\\x9b31m"),  # CSI as one C1 character
        ("ltr\u202eexe.txt", "ltr\\u202eexe.txt"),  # right-to-left override
        ("iso\u2066x\u2069", "iso\\u2066x\\u2069"),
        ("line\u2028sep\u2029", "line\\u2028sep\\u2029"),
        ("tab\there", "tab\\x09here"),
        (r"^https://github\.com/acme/.*$", r"^https://github\.com/acme/.*$"),  # kept
        ("naïve 模型 ✓", "naïve 模型 ✓"),
    ],
)
def test_controls_are_escaped_and_text_is_not(text: str, shown: str) -> None:
    assert one_line(text) == shown
    assert "\n" not in one_line(text) and "\x1b" not in one_line(text)
    assert has_unsafe(text) is (text != shown)
