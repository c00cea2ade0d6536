"""Validate any CycloneDX JSON BOM offline: parse, official schema, then semantic checks.

This is what ``mbom validate`` runs and what ``mbom generate`` relies on to prove its output is
valid. Every problem is collected (not only the first), each with a JSON pointer and a message a
person can act on; nothing here touches the network.
"""

from __future__ import annotations

import os
from typing import Any

from mbom.bom._messages import schema_findings, verdict_findings
from mbom.bom._refs import find_sites
from mbom.bom._schema import (
    load_validator,
    schema_document,
    schema_errors,
    schema_verdict,
    schema_verdict_errors,
    supported_spec_versions,
)
from mbom.bom._semantic import semantic_findings
from mbom.bom.findings import Finding, ValidationResult
from mbom.bom.read import cyclonedx_problem, read_bom_bytes
from mbom.load import JsonSyntaxError, parse_json

__all__ = ["Finding", "ValidationResult", "load_validator", "validate_bom", "validate_document"]


def validate_bom(source: bytes | str | os.PathLike[str]) -> ValidationResult:
    """Validate a CycloneDX JSON BOM given as raw bytes or as a path (``str`` is a path).

    Errors: not JSON, not CycloneDX, unsupported ``specVersion``, every schema violation,
    duplicate bom-refs, hash values of the wrong length or not hex. Warnings: references to
    bom-refs nothing declares (BOM-Links to other BOMs are not checked), an algorithm listed
    twice in one ``hashes`` list. Raises :class:`~mbom.errors.InputError` only when a path
    cannot be read.
    """
    data = source if isinstance(source, bytes) else read_bom_bytes(source)
    try:
        doc = parse_json(data)
    except JsonSyntaxError as exc:
        not_json = Finding("not-json", f"not valid JSON: {exc.reason}")
        return ValidationResult(None, errors=(not_json,))
    return validate_document(doc, bounded=True)


def validate_document(doc: object, *, bounded: bool = False) -> ValidationResult:
    """Validate a BOM already parsed by :func:`mbom.load.parse_json` (duplicate keys, NaN and
    the like refused there): a signed statement's predicate, which verify checks without
    serialising and parsing it again. Same checks and findings as :func:`validate_bom`.
    ``bounded``: it did come from :mod:`mbom.load`, so its depth is known to be bounded."""
    problem = cyclonedx_problem(doc)
    if problem is not None:
        return ValidationResult(None, errors=(Finding("not-cyclonedx", problem, ""),))

    spec = doc.get("specVersion")
    supported = supported_spec_versions()
    errors: list[Finding] = []
    if isinstance(spec, str) and spec in supported:
        errors.extend(_schema_findings(doc, spec, bounded))
        walk_spec = spec
    else:
        errors.append(
            Finding(
                "spec-version",
                f"specVersion {spec!r} is not supported; expected one of {', '.join(supported)}",
                "/specVersion",
            )
        )
        walk_spec = supported[-1]  # best effort: the semantic checks still run

    semantic = semantic_findings(doc, find_sites(doc, schema_document(walk_spec)))
    precise = {f.pointer for f in semantic.errors if f.code == "hash-content"}
    errors = [f for f in errors if f.pointer not in precise]  # say it once, the precise way
    return ValidationResult(
        spec if isinstance(spec, str) else None,
        errors=(*errors, *semantic.errors),
        warnings=semantic.warnings,
    )


def _schema_findings(doc: dict[str, Any], spec: str, bounded: bool) -> list[Finding]:
    """No findings for a document the verdict accepts; else every violation, explained (see
    :mod:`mbom.bom._schema`: jsonschema-rs decides, python jsonschema says why)."""
    verdict = schema_verdict(doc, spec, bounded=bounded)
    if verdict:
        return []
    try:
        explained = schema_findings(schema_errors(doc, spec))
    except RecursionError:
        return [Finding("too-deep", "the document nests too deeply to validate", "")]
    if verdict is None:  # the verdict could not read it: the explanation decides
        return explained
    return [*explained, *verdict_findings(schema_verdict_errors(doc, spec), explained)]
