"""IRI formats are checked fast (RFC 3987 mapping to URIs) and agree with the strict checker."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mbom.bom.validate import validate_bom

BASE = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "version": 1,
    "components": [{"type": "library", "name": "x", "bom-ref": "x"}],
}


def with_url(url: str) -> bytes:
    doc = json.loads(json.dumps(BASE))
    doc["components"][0]["externalReferences"] = [{"type": "website", "url": url}]
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("url", "valid"),
    [
        ("https://example.com/model", True),
        ("https://例え.jp/パス?q=値#frag", True),
        ("urn:cdx:6d626f6d-0000-5000-8000-636478736572/1#model", True),
        ("relative/path.json", True),
        ("http://exa mple.com/", False),
        ("https://example.com/<bad>", False),
        ("http://[::1", False),
    ],
)
def test_iri_reference_format(url: str, valid: bool) -> None:
    result = validate_bom(with_url(url))
    assert result.ok is valid, result.errors


@pytest.mark.parametrize("url", ["https://例え.jp/パス", "http://exa mple.com/", "http://[::1"])
def test_agrees_with_cyclonedx_strict_validator(url: str) -> None:
    """The library's validator (with rfc3987-syntax) reaches the same verdict."""
    code = (
        "import sys; from cyclonedx.schema import SchemaVersion;"
        "from cyclonedx.validation.json import JsonStrictValidator;"
        "error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(sys.stdin.read());"
        "print('invalid' if error else 'valid')"
    )
    strict = subprocess.run(
        [sys.executable, "-c", code],
        input=with_url(url).decode(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert (strict == "valid") == validate_bom(with_url(url)).ok


def test_validation_does_not_load_rfc3987_syntax() -> None:
    code = (
        "import sys; from mbom.bom.validate import validate_bom;"
        'validate_bom(b\'{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}\');'
        "print('rfc3987_syntax' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


URI_SAMPLES = [
    "https://example.com/a?b=c#d",
    "urn:uuid:6d626f6d-0000-5000-8000-636478736572",
    "relative/path.json",
    "../up",
    "",
    "http://exa mple.com/",
    "http://[::1",
    "%zz",
    "https://例え.jp/",
    "mailto:a@b.c",
]


def test_uri_checks_are_jsonschemas_own() -> None:
    """``uri`` and ``uri-reference``, registered here so rfc3986-validator loads late, give
    the verdicts of jsonschema's own checks (jsonschema imported plainly, in a subprocess)."""
    from mbom._jsonschema import format_checker

    code = (
        "import json, sys, jsonschema; checker = jsonschema.FormatChecker();"
        "samples = json.load(sys.stdin);"
        "print(json.dumps([[checker.conforms(s, f) for s in samples]"
        " for f in ('uri', 'uri-reference')]))"
    )
    plain = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(URI_SAMPLES),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    ours = [
        [format_checker().conforms(s, f) for s in URI_SAMPLES] for f in ("uri", "uri-reference")
    ]
    assert ours == json.loads(plain)
    assert ours[0] != ours[1]  # the samples tell the two formats apart


def test_a_bom_without_uris_does_not_load_rfc3986_validator() -> None:
    """Its expressions take ~25 ms to compile: paid only when a URI or IRI is checked."""
    code = (
        "import sys; from mbom.bom.validate import validate_bom;"
        'validate_bom(b\'{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}\');'
        "before = 'rfc3986_validator' in sys.modules;"
        f"validate_bom({with_url('http://exa mple.com/')!r});"
        "print(before, 'rfc3986_validator' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "True"]
