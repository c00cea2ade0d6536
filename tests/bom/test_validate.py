"""Unit tests for mbom.bom.validate on small generated BOMs: one test per check."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from mbom.bom._semantic import HEX_LENGTH
from mbom.bom.findings import Finding, ValidationResult
from mbom.bom.validate import validate_bom
from mbom.errors import InputError

SERIAL = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
SHA256 = "a" * 64


def component(ref: str, **extra: Any) -> dict[str, Any]:
    return {"type": "library", "name": ref, "version": "1.0", "bom-ref": ref, **extra}


def bom(spec: str = "1.6", **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "bomFormat": "CycloneDX",
        "specVersion": spec,
        "serialNumber": SERIAL,
        "version": 1,
        "components": [component("a"), component("b")],
    }
    doc.update(extra)
    return doc


def check(doc: Any) -> ValidationResult:
    return validate_bom(json.dumps(doc).encode())


def codes(findings: tuple[Finding, ...]) -> list[str]:
    return [f.code for f in findings]


# --- well-formed input -----------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["1.2", "1.3", "1.4", "1.5", "1.6", "1.7"])
def test_minimal_bom_is_clean_in_every_supported_version(spec: str) -> None:
    deps = [{"ref": "a", "dependsOn": ["b"]}, {"ref": "b"}]
    result = check(bom(spec, dependencies=deps))
    assert result == ValidationResult(spec, (), ())
    assert result.ok


# --- parsing ---------------------------------------------------------------------------------


def test_trailing_comma_in_object_names_the_comma() -> None:
    result = validate_bom(b'{\n  "bomFormat": "CycloneDX",\n  "specVersion": "1.6",\n}\n')
    assert not result.ok and result.spec_version is None
    assert result.errors == (
        Finding("not-json", "not valid JSON: trailing comma at line 3 column 23"),
    )


def test_several_trailing_commas_are_all_listed() -> None:
    text = b'{"a": [1, 2,],\n "b": {"c": 1,},\n "d": 3}'
    (error,) = validate_bom(text).errors
    assert error.message == (
        "not valid JSON: trailing comma at line 1 column 12 (2 trailing commas, on lines 1, 2)"
    )


def test_other_syntax_errors_give_line_and_column() -> None:
    (error,) = validate_bom(b'{\n  "bomFormat": "CycloneDX"\n  "x": 1}').errors
    assert error.code == "not-json"
    assert error.message == "not valid JSON: expecting ',' delimiter at line 3 column 3"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (b"  \n", "the file is empty"),
        (b'{"x": NaN}', "NaN is not allowed in JSON"),
        (b"\xff\xfe{}", "not valid UTF-8"),
    ],
)
def test_unparsable_input(data: bytes, reason: str) -> None:
    (error,) = validate_bom(data).errors
    assert error.code == "not-json" and reason in error.message


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ([1, 2], "the JSON document is an array, not an object"),
        ({"specVersion": "1.6"}, "bomFormat is missing, expected 'CycloneDX'"),
        ({"bomFormat": "SPDX"}, "bomFormat is 'SPDX', expected 'CycloneDX'"),
    ],
)
def test_not_cyclonedx(doc: Any, reason: str) -> None:
    (error,) = check(doc).errors
    assert error.code == "not-cyclonedx" and reason in error.message


def test_unsupported_spec_version_still_runs_semantic_checks() -> None:
    result = check(bom("1.1", components=[component("a"), component("a")]))
    assert codes(result.errors) == ["spec-version", "duplicate-bom-ref"]
    assert "1.2, 1.3, 1.4, 1.5, 1.6, 1.7" in result.errors[0].message


# --- schema ----------------------------------------------------------------------------------


def test_every_schema_error_is_reported() -> None:
    doc = bom(serialNumber="urn:uuid:nope")
    doc["components"] = [{"type": "library"}, {"type": "library", "name": "x", "colour": "red"}]
    result = check(doc)
    assert [(f.code, f.pointer) for f in result.errors] == [
        ("schema.serial-number", "/serialNumber"),
        ("schema.required", "/components/0"),
        ("schema.additionalProperties", "/components/1"),
    ]
    assert result.errors[1].message == "missing required property 'name'"
    assert "property 'colour' is not allowed here" in result.errors[2].message
    assert str(result.errors[0]) == (
        "/serialNumber: serialNumber 'urn:uuid:nope' is not a UUID URN "
        "(urn:uuid: followed by a lowercase RFC 4122 UUID)"
    )


def test_licence_id_case_gets_a_suggestion() -> None:
    doc = bom(components=[component("a", licenses=[{"license": {"id": "mit"}}])])
    (error,) = check(doc).errors
    assert error == Finding(
        "schema.spdx-id",
        "license id 'mit' is not a valid SPDX identifier (did you mean 'MIT'?)",
        "/components/0/licenses/0/license/id",
    )


def test_unknown_licence_id_points_to_name() -> None:
    doc = bom(components=[component("a", licenses=[{"license": {"id": "Frobnicate-9"}}])])
    (error,) = check(doc).errors
    assert error.code == "schema.spdx-id"
    assert "put a licence outside the SPDX list in license.name" in error.message


def test_licence_with_id_and_name_is_explained() -> None:
    lic = {"license": {"id": "MIT", "name": "The MIT License"}}
    (error,) = check(bom(components=[component("a", licenses=[lic])])).errors
    assert error.code == "schema.license-id-and-name"
    assert error.pointer == "/components/0/licenses/0/license"
    assert "both id 'MIT' and name 'The MIT License'" in error.message


def test_unknown_hash_algorithm_lists_the_allowed_ones() -> None:
    doc = bom(components=[component("a", hashes=[{"alg": "SHA-999", "content": SHA256}])])
    (error,) = check(doc).errors
    assert error.code == "schema.hash-alg"
    assert error.message.startswith("hash algorithm 'SHA-999' is not one of MD5, SHA-1, SHA-256")
    assert error.message.endswith("BLAKE3")


def test_wrong_type_is_plain() -> None:
    (error,) = check(bom(version="1")).errors
    assert error == Finding(
        "schema.type", "version must be of type integer, not a string", "/version"
    )


# --- semantic: bom-refs ----------------------------------------------------------------------


def test_duplicate_bom_ref_is_an_error() -> None:
    doc = bom(components=[component("a"), component("b", components=[component("a")])])
    (error,) = check(doc).errors
    assert error.code == "duplicate-bom-ref"
    assert error.pointer == "/components/1/components/0/bom-ref"
    assert "already declared at /components/0/bom-ref" in error.message


@pytest.mark.parametrize("spec", ["1.4", "1.6"])
def test_dangling_depends_on_is_a_warning(spec: str) -> None:
    result = check(bom(spec, dependencies=[{"ref": "a", "dependsOn": ["b", "ghost"]}]))
    assert result.ok
    assert result.warnings == (
        Finding(
            "dangling-ref",
            "refers to bom-ref 'ghost', which nothing in this BOM declares",
            "/dependencies/0/dependsOn/1",
        ),
    )


def test_dangling_dependency_ref_and_provides() -> None:
    deps = [{"ref": "ghost"}, {"ref": "a", "provides": ["phantom"]}]
    result = check(bom(dependencies=deps))
    assert [(f.pointer, f.code) for f in result.warnings] == [
        ("/dependencies/0/ref", "dangling-ref"),
        ("/dependencies/1/provides/0", "dangling-ref"),
    ]


def test_dangling_model_card_dataset_ref() -> None:
    card = {"modelParameters": {"datasets": [{"ref": "a"}, {"ref": "no-such-data"}]}}
    model = component("m", type="machine-learning-model", modelCard=card)
    result = check(bom(components=[component("a"), model]))
    (warning,) = result.warnings
    assert warning.pointer == "/components/1/modelCard/modelParameters/datasets/1/ref"
    assert "'no-such-data'" in warning.message


def test_repeated_dangling_target_is_reported_once_with_a_count() -> None:
    deps = [{"ref": "a", "dependsOn": ["ghost"]}, {"ref": "b", "dependsOn": ["ghost"]}]
    (warning,) = check(bom(dependencies=deps)).warnings
    assert warning.pointer == "/dependencies/0/dependsOn/0"
    assert warning.message.endswith("(referenced 1 more time)")


def test_bom_link_to_another_bom_is_not_dangling() -> None:
    other = "urn:cdx:11111111-2222-4333-8444-555555555555/1#somewhere-else"
    card = {"modelParameters": {"datasets": [{"ref": other}]}}
    model = component("m", type="machine-learning-model", modelCard=card)
    assert check(bom(components=[model])) == ValidationResult("1.6")


def test_bom_link_into_this_bom_is_checked() -> None:
    own = SERIAL.removeprefix("urn:uuid:")
    card = {
        "modelParameters": {
            "datasets": [{"ref": f"urn:cdx:{own}/1#a"}, {"ref": f"urn:cdx:{own}/1#gone%20away"}]
        }
    }
    model = component("m", type="machine-learning-model", modelCard=card)
    (warning,) = check(bom(components=[component("a"), model])).warnings
    assert warning.pointer == "/components/1/modelCard/modelParameters/datasets/1/ref"
    assert "names bom-ref 'gone away'" in warning.message


def test_ordinary_external_reference_url_is_not_a_reference() -> None:
    refs = [{"type": "website", "url": "https://example.com/model"}]
    assert check(bom(components=[component("a", externalReferences=refs)])).warnings == ()


# --- semantic: hashes ------------------------------------------------------------------------


@pytest.mark.parametrize(("alg", "length"), sorted(HEX_LENGTH.items()))
def test_hash_of_the_right_length_is_accepted(alg: str, length: int) -> None:
    doc = bom(components=[component("a", hashes=[{"alg": alg, "content": "0f" * (length // 2)}])])
    assert check(doc) == ValidationResult("1.6")


@pytest.mark.parametrize("spec", ["1.3", "1.6", "1.7"])
def test_hash_of_the_wrong_length_is_an_error(spec: str) -> None:
    nested = component("n", hashes=[{"alg": "SHA-256", "content": "b" * 40}])
    doc = bom(spec, components=[component("a", components=[nested])])
    (error,) = check(doc).errors
    assert error == Finding(
        "hash-content",
        "SHA-256 hash content has 40 hex digits; SHA-256 has 64",
        "/components/0/components/0/hashes/0/content",
    )


def test_non_hex_hash_is_reported_once() -> None:
    doc = bom(components=[component("a", hashes=[{"alg": "SHA-256", "content": "z" * 64}])])
    (error,) = check(doc).errors  # the schema's pattern error at the same place is folded in
    assert error.code == "hash-content" and "is not hexadecimal" in error.message


def test_hashes_outside_components_are_checked() -> None:
    refs = [
        {"type": "distribution", "url": "https://x", "hashes": [{"alg": "MD5", "content": SHA256}]}
    ]
    (error,) = check(bom(externalReferences=refs)).errors
    assert error.pointer == "/externalReferences/0/hashes/0/content"


def test_duplicate_hash_algorithm_is_a_warning() -> None:
    hashes = [
        {"alg": "SHA-256", "content": SHA256},
        {"alg": "SHA-256", "content": "c" * 64},
        {"alg": "SHA-1", "content": "d" * 40},
    ]
    result = check(bom(components=[component("a", hashes=hashes)]))
    assert result.ok
    assert result.warnings == (
        Finding(
            "duplicate-hash-alg",
            "hash algorithm 'SHA-256' is listed 2 times with different values",
            "/components/0/hashes",
        ),
    )


# --- API -------------------------------------------------------------------------------------


def test_path_input_and_unreadable_path(tmp_path: Any) -> None:
    path = tmp_path / "bom.cdx.json"
    path.write_text(json.dumps(bom()))
    assert validate_bom(path).ok and validate_bom(str(path)).ok
    with pytest.raises(InputError, match="no such file"):
        validate_bom(tmp_path / "missing.json")


def test_finding_without_pointer_prints_message_only() -> None:
    assert str(Finding("x", "message")) == "message"
    assert str(Finding("x", "message", "/a/b")) == "/a/b: message"


def test_import_is_light() -> None:
    code = (
        "import sys, mbom.bom.validate, mbom.bom.read; "
        "print(sorted(m for m in ('jsonschema', 'cyclonedx', 'click', 'rich') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- the schema validator itself -------------------------------------------------------------


def test_identical_items_are_reported_by_the_fast_unique_check() -> None:
    plain = {"type": "library", "name": "x", "version": "1"}
    (error,) = check(bom(components=[plain, component("a"), dict(plain)])).errors
    assert error.pointer == "/components"
    assert error.message == "items 0 and 2 are identical; the schema requires unique items"


def test_large_bom_never_reaches_the_quadratic_unique_check(monkeypatch) -> None:
    # jsonschema's own uniqueItems is quadratic (5,000 components took about 30 s): the
    # validator replaces it, so jsonschema's pairwise helper must never run.
    from jsonschema import _keywords

    def pairwise(*_args: Any) -> bool:
        raise AssertionError("jsonschema's quadratic uniqueItems check ran")

    monkeypatch.setattr(_keywords, "uniq", pairwise)
    n = 5000
    comps = [component(f"c{i}", hashes=[{"alg": "SHA-256", "content": SHA256}]) for i in range(n)]
    deps = [{"ref": f"c{i}", "dependsOn": [f"c{(i + 1) % n}"]} for i in range(n)]
    assert check(bom(components=comps, dependencies=deps)) == ValidationResult("1.6")


def test_deep_nesting_is_a_finding_not_a_crash() -> None:
    root: dict[str, Any] = {"type": "library", "name": "x", "version": "1"}
    node = root
    for i in range(300):
        child = {"type": "library", "name": f"x{i}", "version": "1"}
        node["components"] = [child]
        node = child
    too_deep = Finding("not-json", "not valid JSON: nested deeper than 128 levels")
    assert check(bom(components=[root])).errors == (too_deep,)
    nested = b"[" * 100_000 + b"]" * 100_000
    assert validate_bom(nested).errors == (too_deep,)


def test_a_parsed_document_nested_past_the_limit_is_a_finding_not_a_crash() -> None:
    """validate_document takes a parsed document; one that did not come from parse_json may
    nest past its bound. The verdict's validator is native code with no recursion guard (a
    100,000-deep array crashed the process), so it never sees such a document."""
    from mbom.bom.validate import validate_document

    nested: list[Any] = []
    for _ in range(100_000):
        nested = [nested]
    doc = bom(components=[component("a", properties=nested)])
    result = validate_document(doc)
    assert not result.ok
    assert "too-deep" in codes(result.errors)


def test_a_serial_number_with_a_trailing_newline_is_refused() -> None:
    """Python's ``re.search`` lets ``$`` match before a final newline, so python jsonschema
    (and cyclonedx-python-lib's validator) accepted ``urn:uuid:...\n``. The verdict does
    not: the error comes from it, since python jsonschema has none to explain."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    doc = bom(serialNumber=SERIAL + "\n")
    lenient = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc))
    assert lenient is None  # the library's validator accepts it
    result = check(doc)
    assert [(f.code, f.pointer) for f in result.errors] == [("schema.pattern", "/serialNumber")]
    assert "does not match" in result.errors[0].message


def test_verdict_errors_are_not_repeated_where_the_explanation_speaks() -> None:
    doc = bom(serialNumber=SERIAL + "\n")
    doc["components"] = [{"type": "library"}]
    result = check(doc)
    assert [(f.code, f.pointer) for f in result.errors] == [
        ("schema.required", "/components/0"),
        ("schema.pattern", "/serialNumber"),
    ]


def test_a_value_that_is_not_json_leaves_the_decision_to_the_explanation() -> None:
    from mbom.bom._schema import schema_verdict

    doc = bom(components=[component("a", version=object())])
    assert schema_verdict(doc, "1.6") is None
    assert schema_verdict(bom(), "1.6") is True


class _Panic(BaseException):
    """What PyO3 raises for a panic in native code (``pyo3_runtime.PanicException``)."""


class _PanickingValidator:
    def is_valid(self, doc: Any) -> bool:
        raise _Panic("native code panicked")

    def iter_errors(self, doc: Any) -> Any:
        raise _Panic("native code panicked")


def test_a_panic_in_the_verdict_leaves_the_decision_to_the_explanation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bundle's BOM is the attacker's: a crash of the native validator on it must be a
    finding (verify's exit 1), not a traceback."""
    from mbom.bom import _schema
    from mbom.bom.validate import validate_document

    monkeypatch.setattr(_schema, "_verdict_validator", lambda spec: _PanickingValidator())
    assert _schema.schema_verdict(bom(), "1.6") is None
    assert validate_document(bom()).ok
    refused = validate_document(bom(components=[{"type": "library"}]))
    assert [(f.code, f.pointer) for f in refused.errors] == [("schema.required", "/components/0")]
    assert _schema.schema_verdict_errors(bom(), "1.6") == [
        ("", "the document does not match its schema", [])
    ]


def test_the_verdict_never_fetches_a_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the shipped SPDX schema withheld, building the verdict's validator fails on the
    reference to it, with the refusal, instead of fetching it from cyclonedx.org."""
    from mbom.bom import _schema

    shipped = _schema._sub_schemas()
    spdx = "/spdx.SNAPSHOT.schema.json"
    withheld = tuple((uri, doc) for uri, doc in shipped if not uri.endswith(spdx))
    assert len(withheld) == len(shipped) - 1
    monkeypatch.setattr(_schema, "_sub_schemas", lambda: withheld)
    _schema._verdict_validator.cache_clear()
    try:
        with pytest.raises(ValueError, match="nothing is fetched"):
            _schema._verdict_validator("1.6")
    finally:
        _schema._verdict_validator.cache_clear()


@pytest.mark.parametrize(
    "doc",
    [
        bom(serialNumber="bad", components=[{"type": "nope"}, {"name": 3}]),
        bom("1.2", components=[component("a", licenses=[{"license": {"id": "mit"}}])]),
        bom("1.7", components=[component("a", hashes=[{"alg": "X", "content": "0"}])]),
        bom(components=[{"type": "library", "name": "x"}] * 2),
    ],
)
def test_same_schema_errors_as_cyclonedx_library(doc: dict[str, Any]) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    from mbom.bom._schema import schema_errors

    spec = doc["specVersion"]
    theirs = JsonStrictValidator(SchemaVersion.from_version(spec)).validate_str(
        json.dumps(doc), all_errors=True
    )
    ours = {(tuple(e.absolute_path), e.validator) for e in schema_errors(doc, spec)}
    assert ours == {(tuple(e.data.absolute_path), e.data.validator) for e in theirs or ()}
    assert ours
