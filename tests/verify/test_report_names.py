"""A file name cannot forge or hide lines of the verify report, in any text format.

An attacker who adds ``y\\nPASS  signature ...`` to a signed model used to get that line into
the text report, and one who adds ``x\\x1b[1A\\x1b[2K`` erased the line above it on the reader's
terminal (and, through a pipe, click stripped the escape, so the log named a file that does not
exist); a name with ``\\x01`` made the JUnit report XML that CI parsers reject. The verdict was
right each time (exit 1); the report now says exactly what it found.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from mbom._one_line import one_line
from tests.verify.conftest import Signed, run_mbom

FORGED = "y\nPASS  signature         [bom.cdx.json.sigstore.json]  all fine"
HIDING = "x\x1b[1A\x1b[2Khidden"
INVALID_XML = "ctl\x01"


def _hostile(work) -> object:
    model, _ = work
    for name in (FORGED, HIDING, INVALID_XML):
        (model / name).write_bytes(b"added")
    return model


def _verify(signed: Signed, model: object, *extra: str):
    return run_mbom(
        "verify", str(model), "--bundle", str(signed.bundle), "--key", str(signed.pub), *extra
    )


def test_a_name_adds_no_line_to_the_text_report(signed: Signed, work) -> None:
    result = _verify(signed, _hostile(work))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert not any(
        line.startswith("PASS  signature         [bom.cdx.json.sigstore.json]  all")
        for line in lines
    )
    assert "\x1b" not in result.stdout and "\x01" not in result.stdout
    shown = {line.split("model file ", 1)[1] for line in lines if "extra-file" in line}
    assert shown == {
        one_line(FORGED) + ": not in the attestation",
        "x\\x1b[1A\\x1b[2Khidden: not in the attestation",
        "ctl\\x01: not in the attestation",
    }
    assert one_line(FORGED).startswith("y\\x0aPASS  signature")
    assert lines[-1].startswith("NOT VERIFIED")


def test_the_junit_report_stays_xml_and_names_the_files(signed: Signed, work) -> None:
    result = _verify(signed, _hostile(work), "--format", "junit")
    assert result.returncode == 1, result.stderr
    root = ET.fromstring(result.stdout)  # raised "not well-formed" before
    names = {case.get("name") for case in root.iter("testcase")}
    assert {"extra-file ctl\\x01", "extra-file x\\x1b[1A\\x1b[2Khidden"} <= names


def test_json_keeps_the_exact_names(signed: Signed, work) -> None:
    """Machines read JSON, where the names are exact (JSON escapes them itself)."""
    result = _verify(signed, _hostile(work), "--format", "json")
    assert result.returncode == 1
    paths = {c.get("path") for c in json.loads(result.stdout)["checks"] if c["id"] == "extra-file"}
    assert {FORGED, HIDING, INVALID_XML} <= paths
