"""Turn jsonschema errors into findings a person can act on.

jsonschema reports a failed ``oneOf`` as "[...] is not valid under any of the given schemas",
which hides the real problem (a licence id in the wrong case, say) inside ``error.context``.
This module descends into the branch the document most nearly matched, keeps every leaf error,
and rewrites the cases that come up in real BOMs in plain words.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from mbom.bom.findings import Finding, json_pointer

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError as SchemaError

_MAX_LISTED = 15
_MAX_MESSAGE = 240
_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    type(None): "null",
}
_REQUIRED = re.compile(r"^(?P<name>.+) is a required property$")


def _branch_score(errors: Sequence[SchemaError]) -> tuple[int, bool, int]:
    """How nearly the document matched one branch: deeper errors, fewer of them, wins."""
    depth = max(len(e.absolute_path) for e in errors)
    shape_fits = not all(e.validator == "type" for e in errors)
    return depth, shape_fits, -len(errors)


def _leaves(error: SchemaError) -> Iterator[SchemaError]:
    """The specific errors behind ``error``, following the best-matching oneOf/anyOf branch."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        yield error
        return
    branches: dict[Any, list[SchemaError]] = {}
    for sub in error.context:
        key = sub.relative_schema_path[0] if sub.relative_schema_path else None
        branches.setdefault(key, []).append(sub)
    best = max(branches.values(), key=_branch_score)
    for sub in best:
        yield from _leaves(sub)


def _listing(values: Sequence[Any]) -> str:
    shown = ", ".join(str(v) for v in values[:_MAX_LISTED])
    if len(values) > _MAX_LISTED:
        shown += f", … ({len(values)} allowed values)"
    return shown


def _suggest(value: str, allowed: Sequence[str]) -> str | None:
    folded = {a.casefold(): a for a in allowed if isinstance(a, str)}
    if value.casefold() in folded:
        return folded[value.casefold()]
    close = difflib.get_close_matches(value, list(folded.values()), n=1, cutoff=0.85)
    return close[0] if close else None


def _path_ends(error: SchemaError, *tail: str) -> bool:
    path = list(error.absolute_path)
    return len(path) >= len(tail) and tuple(path[-len(tail) :]) == tail


def _field(error: SchemaError) -> str:
    named = [p for p in error.absolute_path if isinstance(p, str)]
    return named[-1] if named else "value"


def _enum(error: SchemaError) -> tuple[str, str]:
    value, allowed = error.instance, list(error.validator_value)
    if _path_ends(error, "license", "id") and isinstance(value, str):
        hint = _suggest(value, allowed)
        tail = (
            f" (did you mean {hint!r}?)"
            if hint
            else "; put a licence outside the SPDX list in license.name instead"
        )
        return "schema.spdx-id", f"license id {value!r} is not a valid SPDX identifier{tail}"
    if _path_ends(error, "alg") and "hashes" in error.absolute_path:
        return "schema.hash-alg", f"hash algorithm {value!r} is not one of {_listing(allowed)}"
    return "schema.enum", f"{_field(error)} {value!r} is not one of {_listing(allowed)}"


def _one_of_ambiguous(error: SchemaError) -> tuple[str, str]:
    inst = error.instance
    if isinstance(inst, dict) and "id" in inst and "name" in inst:
        return (
            "schema.license-id-and-name",
            f"license has both id {inst['id']!r} and name {inst['name']!r}; give exactly one: "
            "id for an SPDX licence, name for any other",
        )
    return "schema.oneOf", f"{_field(error)} matches more than one of the allowed forms"


def _additional(error: SchemaError) -> tuple[str, str]:
    inst = error.instance if isinstance(error.instance, dict) else {}
    known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    patterns = error.schema.get("patternProperties", {}) if isinstance(error.schema, dict) else {}
    extra = [k for k in inst if k not in known and not any(re.search(p, k) for p in patterns)]
    names = ", ".join(repr(k) for k in extra) or "?"
    return (
        "schema.additionalProperties",
        f"property {names} is not allowed here (check the spelling and the specVersion)",
    )


def _rephrase(error: SchemaError) -> tuple[str, str]:
    kind = str(error.validator)
    if kind == "pattern" and list(error.absolute_path) == ["serialNumber"]:
        return (
            "schema.serial-number",
            f"serialNumber {error.instance!r} is not a UUID URN "
            "(urn:uuid: followed by a lowercase RFC 4122 UUID)",
        )
    if kind == "enum":
        return _enum(error)
    if kind == "oneOf":
        return _one_of_ambiguous(error)
    if kind == "additionalProperties":
        return _additional(error)
    if kind == "required":
        match = _REQUIRED.match(error.message)
        return "schema.required", f"missing required property {match['name'] if match else '?'}"
    if kind == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        got = _JSON_TYPES.get(type(error.instance), type(error.instance).__name__)
        return "schema.type", f"{_field(error)} must be of type {wanted}, not {got}"
    if kind == "format":
        return "schema.format", f"{error.instance!r} is not a valid {error.validator_value}"
    message = error.message
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 1] + "…"
    return f"schema.{kind}", message


def schema_findings(errors: Iterable[SchemaError]) -> list[Finding]:
    """Every leaf schema error as a finding, in document order of discovery, without repeats."""
    seen: set[Finding] = set()
    out: list[Finding] = []
    for top in errors:
        for leaf in _leaves(top):
            code, message = _rephrase(leaf)
            finding = Finding(code, message, json_pointer(tuple(leaf.absolute_path)))
            if finding not in seen:
                seen.add(finding)
                out.append(finding)
    return out


def verdict_findings(
    violations: Iterable[tuple[str, str, Sequence[str | int]]], explained: Sequence[Finding]
) -> list[Finding]:
    """The verdict's violations (keyword, message, path) that no explained finding covers: a
    finding at, under or above the same place says it already (its words are plainer)."""
    said = [finding.pointer for finding in explained]
    out: list[Finding] = []
    for keyword, message, path in violations:
        pointer = json_pointer(tuple(path))
        if any(_related(pointer, other) for other in said):
            continue
        if len(message) > _MAX_MESSAGE:
            message = message[: _MAX_MESSAGE - 1] + "…"
        out.append(Finding(f"schema.{keyword or 'invalid'}", message, pointer))
        said.append(pointer)
    return out


def _related(pointer: str, other: str) -> bool:
    return pointer == other or pointer.startswith(other + "/") or other.startswith(pointer + "/")
