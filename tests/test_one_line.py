"""One line, shown as it is: the escaping every text report applies to values it quotes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mbom._one_line import has_unsafe, one_line

#: Any code point, surrogates and noncharacters included (st.text() leaves surrogates out).
ANY_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()))


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
        ("non\ufffechar\uffff", "non\\ufffechar\\uffff"),  # not XML 1.0 characters
        ("lone\udc80", "lone\\udc80"),  # a name that was not UTF-8, surrogate-escaped
        (r"^https://github\.com/acme/.*$", r"^https://github\.com/acme/.*$"),  # kept
        ("naïve 模型 ✓", "naïve 模型 ✓"),
    ],
)
def test_controls_are_escaped_and_text_is_not(text: str, shown: str) -> None:
    assert one_line(text) == shown
    assert "\n" not in one_line(text) and "\x1b" not in one_line(text)
    assert has_unsafe(text) is (text != shown)


@given(ANY_TEXT)
def test_nothing_unsafe_survives_and_safe_text_is_untouched(text: str) -> None:
    shown = one_line(text)
    assert not has_unsafe(shown) and len(shown.splitlines()) <= 1
    if not has_unsafe(text):
        assert shown == text


@given(names=st.lists(ANY_TEXT.filter(bool), min_size=1, max_size=5), subject=ANY_TEXT)
def test_every_text_report_has_one_line_per_check_and_a_verdict(
    names: list[str], subject: str
) -> None:
    """Whatever the file names and the subject hold, render_text writes exactly one line per
    check plus the verdict, and the JUnit report is XML (``fromstring`` parses it)."""
    from mbom.verify.checks import Report, fail
    from mbom.verify.report_junit import render_junit
    from mbom.verify.report_text import render_text

    checks = tuple(
        fail("extra-file", f"model file {name}: not in the attestation", path=name, bundle=name)
        for name in names
    )
    report = Report(subject, checks)
    lines = render_text(report).split("\n")
    assert len(lines) == len(names) + 1 and lines[-1].startswith("NOT VERIFIED")
    assert all(line.startswith("FAIL  extra-file") for line in lines[:-1])
    cases = list(ET.fromstring(render_junit(report)).iter("testcase"))
    assert len(cases) == len(names)


def test_every_escaped_character_is_outside_isprintable() -> None:
    """one_line returns printable text untouched without its pattern: sound only if nothing
    the pattern escapes counts as printable. Checked over every code point."""
    from mbom._one_line import _unsafe

    every = "".join(map(chr, range(0x110000)))
    escaped = _unsafe().findall(every)
    assert len(escaped) == 32 + 33 + 2 + 2 + 5 + 4 + 2048 + 2
    assert not any(char.isprintable() for char in escaped)
