"""mbom's fast jsonschema import leaves every other user of jsonschema in the process whole.

mbom imports jsonschema with its costly format back-ends deferred (mbom._jsonschema). An
earlier version hid them instead, and the global checkers then lacked ``uri``, ``duration``,
``hostname`` and the rest: cyclonedx-python-lib's own validator, run in the same process after
mbom, rejected CycloneDX's valid-attestation-1.6.json (a ``oneOf`` that a ``uri`` check
decides matched twice).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIXTURE = Path("../shared/fixtures/cyclonedx/cyclonedx-spec-testvectors/valid-attestation-1.6.json")

SAMPLES = [
    "https://example.com/a?b=c#d",
    "https://例え.jp/パス",
    "http://exa mple.com/",
    "relative/path.json",
    "P1D",
    "P1X",
    "PT",
    "example.com",
    "a..b",
    "red",
    "#12345g",
    "/a/b",
    "0/a",
    "{x}",
    "{x",
    "2026-12-03T10:00:00Z",
    "",
]

_VERDICTS = """
import json, sys
if sys.argv[1] == "mbom":
    from mbom._jsonschema import format_checker
    format_checker()
import jsonschema
samples = json.loads(sys.argv[2])
verdicts = {}
for name, checker in [("class", jsonschema.FormatChecker())] + [
    (draft, getattr(jsonschema, draft).FORMAT_CHECKER)
    for draft in ("Draft4Validator", "Draft7Validator", "Draft202012Validator")
]:
    verdicts[name] = {f: [checker.conforms(s, f) for s in samples] for f in checker.checkers}
print(json.dumps(verdicts))
"""


def verdicts(first: str) -> dict[str, dict[str, list[bool]]]:
    out = subprocess.run(
        [sys.executable, "-c", _VERDICTS, first, json.dumps(SAMPLES)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def test_global_format_checks_are_those_of_a_plain_import() -> None:
    after_mbom = verdicts("mbom")
    assert "duration" in after_mbom["class"] and "uri" in after_mbom["Draft7Validator"]
    assert after_mbom == verdicts("plain")


def test_cyclonedx_validator_after_mbom_accepts_the_valid_attestation() -> None:
    code = (
        "import sys; from mbom.bom.validate import validate_bom;"
        "text = open(sys.argv[1], encoding='utf-8').read();"
        "assert validate_bom(text.encode()).ok;"
        "from cyclonedx.schema import SchemaVersion;"
        "from cyclonedx.validation.json import JsonStrictValidator;"
        "print(JsonStrictValidator(SchemaVersion.V1_6).validate_str(text))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(FIXTURE)], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "None"


def test_back_ends_load_at_their_first_check_and_later_imports_get_the_real_module() -> None:
    code = (
        "import sys, json; from mbom._jsonschema import jsonschema; js = jsonschema();"
        "names = ('isoduration', 'fqdn', 'webcolors', 'rfc3987_syntax');"
        "before = [n in sys.modules for n in names];"
        "c = js.FormatChecker(); c.conforms('P1D', 'duration'); c.conforms('a.b', 'hostname');"
        "after = [n in sys.modules for n in names];"
        "import webcolors; real = hasattr(webcolors, '__file__');"
        "print(json.dumps([before, after, real]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == [
        [False, False, False, False],
        [True, True, False, False],
        True,
    ]
