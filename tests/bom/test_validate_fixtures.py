"""Acceptance: the verdicts in ../shared/fixtures/cyclonedx/INDEX.md, on every shared fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from mbom.bom.validate import validate_bom

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "cyclonedx"

if not FIXTURES.is_dir():
    pytest.skip(f"shared fixtures not found at {FIXTURES}", allow_module_level=True)

ACCEPT = "accept"
WARN = "accept with warnings"
REJECT = "reject"

# file -> (verdict, {finding code: text that must appear in that finding})
VERDICTS: dict[str, tuple[str, dict[str, str]]] = {
    "AIBoMGen/output_aibom.json": (ACCEPT, {}),
    "aibom-generator/aetheris_expected_aibom.json": (
        REJECT,
        {
            "schema.serial-number": "serialNumber 'urn:uuid:test-uuid-placeholder' "
            "is not a UUID URN",
            "schema.spdx-id": "license id 'apache-2.0' is not a valid SPDX identifier "
            "(did you mean 'Apache-2.0'?)",
        },
    ),
    "bom-examples-pr50/MLBOM_Dataset_bom.json": (
        REJECT,
        {"not-json": "not valid JSON: trailing comma at line 8 column 44"},
    ),
    "bom-examples-pr50/MLBOM_Model_FoundationModels_bom.json": (ACCEPT, {}),
    "bom-examples-pr50/MLBOM_Model_OpenSource_bom.json": (
        REJECT,
        {"not-json": "not valid JSON: trailing comma at line 8 column 44"},
    ),
    "cyclonedx-spec-testvectors/invalid-hash-alg-1.6.json": (
        REJECT,
        {"schema.hash-alg": "hash algorithm 'FOO' is not one of MD5, SHA-1, SHA-256"},
    ),
    # INDEX.md says plain "accept"; its verdicts come from schema validation only. The file
    # really refers to two bom-refs nothing declares (map[0].requirement 'requirement-1' and
    # counterClaims[0] 'counterClaim-1', both refLinkType), so the dangling-ref check warns.
    "cyclonedx-spec-testvectors/valid-attestation-1.6.json": (
        WARN,
        {"dangling-ref": "'requirement-1'"},
    ),
    "cyclonedx-spec-testvectors/valid-bom-1.6.json": (ACCEPT, {}),
    "cyclonedx-spec-testvectors/valid-component-data-1.6.json": (ACCEPT, {}),
    "cyclonedx-spec-testvectors/valid-component-data-1.7.json": (ACCEPT, {}),
    "cyclonedx-spec-testvectors/valid-formulation-1.6.json": (
        WARN,
        {"dangling-ref": "refers to bom-ref 'component-a', which nothing in this BOM declares"},
    ),
    "cyclonedx-spec-testvectors/valid-formulation-1.7.json": (
        WARN,
        {"dangling-ref": "refers to bom-ref 'component-a', which nothing in this BOM declares"},
    ),
    "cyclonedx-spec-testvectors/valid-machine-learning-1.5.json": (ACCEPT, {}),
    "cyclonedx-spec-testvectors/valid-machine-learning-1.6.json": (ACCEPT, {}),
    "cyclonedx-spec-testvectors/valid-machine-learning-1.7.json": (ACCEPT, {}),
    "cyclonedx-spec-testvectors/valid-machine-learning-considerations-env-1.6.json": (ACCEPT, {}),
    "cyclonedx-spec-testvectors/valid-machine-learning-considerations-env-1.7.json": (ACCEPT, {}),
    "cyclonedx-spec-testvectors/valid-signatures-1.6.json": (ACCEPT, {}),
    "cyclonedx-spec-testvectors/valid-signatures-1.7.json": (ACCEPT, {}),
    "k8s-aibom/vllm-deployment-output.json": (ACCEPT, {}),
    "manifest-cyber-aibom/FLUX.1-dev.json": (ACCEPT, {}),
    "manifest-cyber-aibom/Llama-3.2-1B-Instruct.json": (ACCEPT, {}),
    "manifest-cyber-aibom/Qwen2.5-7B-Instruct.json": (ACCEPT, {}),
}


def test_every_fixture_has_a_verdict() -> None:
    on_disk = {p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.json")}
    assert on_disk == set(VERDICTS)


@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_fixture_verdict(name: str) -> None:
    verdict, expected = VERDICTS[name]
    result = validate_bom(FIXTURES / name)
    got = REJECT if result.errors else WARN if result.warnings else ACCEPT
    assert got == verdict, [str(f) for f in (*result.errors, *result.warnings)]
    assert result.ok is (verdict != REJECT)
    findings = result.errors if verdict == REJECT else result.warnings
    for code, text in expected.items():
        messages = [f.message for f in findings if f.code == code]
        assert any(text in m for m in messages), (code, text, messages)
    if verdict == REJECT:  # nothing but the reasons named above
        assert {f.code for f in result.errors} == set(expected)


@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_fixture_path_and_bytes_agree(name: str) -> None:
    path = FIXTURES / name
    assert validate_bom(path) == validate_bom(path.read_bytes()) == validate_bom(str(path))


def test_formulation_dangling_warning_points_at_the_reference() -> None:
    result = validate_bom(FIXTURES / "cyclonedx-spec-testvectors/valid-formulation-1.6.json")
    first = next(f for f in result.warnings if "'component-a'" in f.message)
    assert first.pointer == "/formulation/0/workflows/0/resourceReferences/0/ref"
    assert "referenced 3 more times" in first.message
    assert all(f.code == "dangling-ref" for f in result.warnings)


def test_spec_versions_are_reported() -> None:
    seen = {validate_bom(FIXTURES / n).spec_version for n in VERDICTS}
    assert {"1.5", "1.6", "1.7"} <= seen


_SCHEMA_CHECKED = sorted(n for n, (_, codes) in VERDICTS.items() if "not-json" not in codes)

# The library's verdicts, from a fresh interpreter, so that nothing mbom loaded can touch them
# (tests/test_jsonschema_deferred.py checks that mbom's jsonschema import leaves them whole).
_THEIRS = """
import json, sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
found = {}
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    spec = json.loads(text)["specVersion"]
    errors = JsonStrictValidator(SchemaVersion.from_version(spec)).validate_str(
        text, all_errors=True
    )
    found[path] = sorted([list(e.data.absolute_path), e.data.validator] for e in errors or ())
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def library_errors() -> dict[str, set[tuple[tuple[object, ...], str]]]:
    import json
    import subprocess
    import sys

    paths = [str(FIXTURES / name) for name in _SCHEMA_CHECKED]
    done = subprocess.run(
        [sys.executable, "-c", _THEIRS, *paths],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,  # a safety net against a hang, not a timing assertion
    )
    found = json.loads(done.stdout)
    return {
        name: {(tuple(where), keyword) for where, keyword in found[str(FIXTURES / name)]}
        for name in _SCHEMA_CHECKED
    }


@pytest.mark.parametrize("name", _SCHEMA_CHECKED)
def test_schema_errors_match_the_cyclonedx_library(
    name: str, library_errors: dict[str, set[tuple[tuple[object, ...], str]]]
) -> None:
    import json

    from mbom.bom._schema import schema_errors

    doc = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    ours = {(tuple(e.absolute_path), e.validator) for e in schema_errors(doc, doc["specVersion"])}
    assert ours == library_errors[name]


@pytest.mark.parametrize("name", _SCHEMA_CHECKED)
def test_the_verdict_agrees_with_the_cyclonedx_library(
    name: str, library_errors: dict[str, set[tuple[tuple[object, ...], str]]]
) -> None:
    """jsonschema-rs decides; on every fixture it decides what the library's validator does."""
    import json

    from mbom.bom._schema import schema_verdict

    doc = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    assert schema_verdict(doc, doc["specVersion"]) is (not library_errors[name])


@pytest.mark.parametrize(
    ("name", "count"),
    [("MLBOM_Model_OpenSource_bom.json", 1), ("MLBOM_Dataset_bom.json", 2)],
)
def test_pr50_files_with_commas_fixed_fail_on_licence_id_and_name(name: str, count: int) -> None:
    import re

    raw = (FIXTURES / "bom-examples-pr50" / name).read_bytes()
    result = validate_bom(re.sub(rb",(\s*[}\]])", rb"\1", raw))
    assert [f.code for f in result.errors] == ["schema.license-id-and-name"] * count
    assert "license has both id" in result.errors[0].message


@pytest.mark.parametrize("name", _SCHEMA_CHECKED)
def test_an_already_parsed_document_gets_the_same_findings(name: str) -> None:
    """verify validates a statement's predicate as parsed (validate_document): every finding
    is the one validate_bom reports from the file's bytes."""
    from mbom.bom.validate import validate_document
    from mbom.load import parse_json

    path = FIXTURES / name
    assert validate_document(parse_json(path.read_bytes())) == validate_bom(path)
