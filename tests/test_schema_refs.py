"""A schema without references validates exactly as the schema with them (mbom._schema_refs).

Compared error by error (where, which keyword, the message, the branches of a oneOf/anyOf)
between jsonschema on the original schema, resolving each ``$ref`` as it meets it, and on the
rewritten one: on a small schema built to exercise the scoping rules, and on the CycloneDX
schemas with every shared fixture and a BOM mbom generated, broken in many places.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from referencing import Registry
from referencing.jsonschema import DRAFT7

from mbom._jsonschema import format_checker, jsonschema
from mbom._schema_refs import without_refs
from mbom.bom import _schema
from mbom.load import parse_json

FIXTURES = Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures" / "cyclonedx"


def _errors(validator: Any, instance: Any) -> list[tuple[Any, ...]]:
    def one(error: Any) -> tuple[Any, ...]:
        return (
            tuple(error.absolute_path),
            tuple(error.schema_path),
            error.message,
            error.validator,
            sorted(repr(one(sub)) for sub in error.context),
        )

    return sorted((one(e) for e in validator.iter_errors(instance)), key=repr)


def _schema_nodes(node: Any, seen: set[int]) -> list[dict[str, Any]]:
    """Every subschema reachable through schema keywords (cycles followed once)."""
    if not isinstance(node, dict) or id(node) in seen:
        return []
    seen.add(id(node))
    found = [node]
    for key, value in node.items():
        if key in ("enum", "const", "default", "examples"):
            continue
        subs = value.values() if key in ("properties", "patternProperties") else [value]
        for sub in subs:
            for item in sub if isinstance(sub, list) else [sub]:
                found += _schema_nodes(item, seen)
    return found


# --- a small schema: scopes, a remote resource, recursion, siblings -----------------------

OTHER = {
    "$id": "http://example.test/other.json",
    "definitions": {
        "name": {"type": "string", "pattern": "^[a-z]+$"},
        "named": {"properties": {"name": {"$ref": "#/definitions/name"}}},  # other.json's own
    },
}
ROOT = {
    "$id": "http://example.test/root.json",
    "type": "object",
    "properties": {
        "tree": {"$ref": "#/definitions/tree"},
        "who": {"$ref": "other.json#/definitions/named"},
        "scoped": {
            "$id": "http://example.test/nested/",
            "properties": {"x": {"$ref": "#/definitions/local"}},  # this scope's #, not root's
            "definitions": {"local": {"type": "integer", "minimum": 3}},
        },
        "sibling": {"$ref": "#/definitions/tree", "type": "string"},  # draft 7: type ignored
        "literal": {"enum": [{"$ref": "#/definitions/tree"}]},  # a value, not a reference
        # every other keyword that holds subschemas, each through a reference
        "keywords": {
            "not": {"$ref": "#/definitions/small"},
            "if": {"$ref": "#/definitions/small"},
            "then": {"$ref": "#/definitions/even"},
            "else": {"$ref": "#/definitions/big"},
            "anyOf": [{"$ref": "#/definitions/even"}, {"$ref": "#/definitions/big"}],
            "oneOf": [{"$ref": "#/definitions/even"}, {"$ref": "#/definitions/big"}],
            "allOf": [{"$ref": "#/definitions/number"}],
        },
        "map": {
            "type": "object",
            "patternProperties": {"^n_": {"$ref": "#/definitions/number"}},
            "additionalProperties": {"$ref": "#/definitions/name-list"},
            "propertyNames": {"$ref": "other.json#/definitions/name"},
            # (a list of names in "dependencies" makes referencing's own crawl fail: not here)
            "dependencies": {"a": {"$ref": "#/definitions/needs-b"}},
        },
        "list": {
            "type": "array",
            "items": [{"$ref": "#/definitions/number"}, {"$ref": "#/definitions/name-list"}],
            "additionalItems": {"$ref": "#/definitions/even"},
            "contains": {"$ref": "#/definitions/big"},
        },
    },
    "definitions": {
        "number": {"type": "number"},
        "small": {"type": "number", "maximum": 10},
        "even": {"type": "number", "multipleOf": 2},
        "big": {"type": "number", "minimum": 100},
        "name-list": {"type": "array", "items": {"$ref": "other.json#/definitions/name"}},
        "needs-b": {"required": ["b"]},
        "tree": {
            "type": "object",
            "required": ["value"],
            "properties": {
                "value": {"type": "number"},
                "children": {"type": "array", "items": {"$ref": "#/definitions/tree"}},
            },
            "additionalProperties": False,
        },
    },
}
INSTANCES = [
    {},
    {"tree": {"value": 1, "children": [{"value": 2, "children": [{"value": "deep"}]}]}},
    {"tree": {"value": 1, "children": [{"children": []}, {"value": 3, "extra": 1}]}},
    {"who": {"name": "Ab1"}},
    {"who": {"name": "abc"}},
    {"scoped": {"x": 2}},
    {"scoped": {"x": 5}},
    {"sibling": {"value": 1}},
    {"sibling": "a string"},
    {"literal": {"$ref": "#/definitions/tree"}},
    {"literal": {"value": 1}},
    {"keywords": 4},
    {"keywords": 5},
    {"keywords": 12},
    {"keywords": 101},
    {"keywords": 200},
    {"keywords": "x"},
    {"map": {"n_a": 1, "n_b": "x", "ab": ["ok", "No"], "a": [], "c": 1}},
    {"map": {"a": ["x"], "b": ["y"], "c": ["z"], "d": [], "Bad": []}},
    {"list": [1, ["ok"], 2, 4, 200]},
    {"list": ["x", ["No"], 3, 5]},
    {"list": []},
]


def test_the_small_schema_loses_its_references_and_keeps_its_values() -> None:
    registry: Registry[Any] = Registry().with_resource(OTHER["$id"], DRAFT7.create_resource(OTHER))
    rewritten = without_refs(ROOT, registry)
    assert not [n for n in _schema_nodes(rewritten, set()) if "$ref" in n]
    tree = rewritten["properties"]["tree"]
    assert tree["properties"]["children"]["items"]["properties"] is tree["properties"]  # a cycle
    assert rewritten["properties"]["literal"] == {"enum": [{"$ref": "#/definitions/tree"}]}
    assert "definitions" not in rewritten
    assert rewritten["properties"]["scoped"]["properties"]["x"]["minimum"] == 3


@pytest.mark.parametrize("instance", INSTANCES, ids=[json.dumps(i)[:40] for i in INSTANCES])
def test_the_small_schema_gives_the_same_errors(instance: dict[str, Any]) -> None:
    registry: Registry[Any] = Registry().with_resource(OTHER["$id"], DRAFT7.create_resource(OTHER))
    cls = jsonschema().validators.Draft7Validator
    with_refs = cls(ROOT, registry=registry)
    without = cls(without_refs(ROOT, registry), registry=registry)
    assert _errors(without, instance) == _errors(with_refs, instance)


def test_a_reference_that_resolves_nowhere_is_refused() -> None:
    from referencing.exceptions import Unresolvable

    with pytest.raises(Unresolvable):
        without_refs({"properties": {"a": {"$ref": "#/definitions/missing"}}}, Registry())


def test_references_that_only_name_each_other_are_refused() -> None:
    schema = {
        "properties": {"a": {"$ref": "#/definitions/b"}},
        "definitions": {"b": {"$ref": "#/definitions/c"}, "c": {"$ref": "#/definitions/b"}},
    }
    with pytest.raises(ValueError, match="schema references loop"):
        without_refs(schema, Registry())


def test_a_message_that_quotes_a_subschema_quotes_the_reference() -> None:
    """Not the whole subschema it names (for CycloneDX's, kilobytes per error)."""
    registry: Registry[Any] = Registry().with_resource(OTHER["$id"], DRAFT7.create_resource(OTHER))
    validator = jsonschema().validators.Draft7Validator(without_refs(ROOT, registry))
    [error] = validator.iter_errors({"keywords": 200})
    assert error.message == (
        "200 is valid under each of {'$ref': '#/definitions/big'}, {'$ref': '#/definitions/even'}"
    )


# --- the CycloneDX schemas -------------------------------------------------------------------


def _validators(spec: str) -> tuple[Any, Any]:
    registry = _schema._registry()
    cls = _schema._validator_class()
    original = cls(
        _schema.schema_document(spec), registry=registry, format_checker=format_checker()
    )
    return original, _schema._validator(spec)


def _fixtures() -> dict[str, Any]:
    """Each shared fixture that is JSON with a supported specVersion, parsed (the others'
    verdicts are tested in tests/bom/test_validate_fixtures.py)."""
    found = {}
    for path in sorted(FIXTURES.rglob("*.json")) if FIXTURES.is_dir() else []:
        try:
            doc = parse_json(path.read_bytes())
        except Exception:  # not JSON
            continue
        if isinstance(doc, dict) and doc.get("specVersion") in _schema.supported_spec_versions():
            found[str(path.relative_to(FIXTURES))] = doc
    return found


def test_the_fixtures_are_there() -> None:
    assert len(_fixtures()) >= 10, f"shared fixtures not found under {FIXTURES}"


@pytest.mark.parametrize("name", list(_fixtures()))
def test_every_shared_fixture_gets_the_same_errors(name: str) -> None:
    doc = _fixtures()[name]
    original, rewritten = _validators(doc["specVersion"])
    assert _errors(rewritten, doc) == _errors(original, doc)


def _generated_bom(tmp_path: Path) -> dict[str, Any]:
    from mbom.generate import GenerateRequest, generate

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "bert"}')
    (model / "weights.bin").write_bytes(b"\x00" * 4096)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.csv").write_text("a,b\n1,2\n")
    request = GenerateRequest(
        model=str(model), datasets=(f"train={tmp_path / 'data'}",), name="m", version="1"
    )
    return generate(request, cache=False).document


def _hashed(doc: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in doc["components"] if c.get("hashes"))


BREAKS = {
    "component type": lambda d: d["components"][0].__setitem__("type", "bogus"),
    "hash algorithm": lambda d: _hashed(d)["hashes"][0].__setitem__("alg", "SHA-257"),
    "hash content": lambda d: _hashed(d)["hashes"][0].__setitem__("content", "zz"),
    "licence": lambda d: d["components"][0].__setitem__("licenses", [{"license": {"id": 1}}]),
    "timestamp": lambda d: d["metadata"].__setitem__("timestamp", "yesterday"),
    "serial": lambda d: d.__setitem__("serialNumber", "not-a-urn"),
    "extra key": lambda d: d["metadata"]["component"].__setitem__("colour", "red"),
    "url": lambda d: d["components"][0].__setitem__(
        "externalReferences", [{"type": "website", "url": "ht tp://x y"}]
    ),
    "model card": lambda d: d["metadata"]["component"]["modelCard"].__setitem__(
        "modelParameters", {"task": 7}
    ),
    "dataset": lambda d: d["components"][-1].__setitem__("data", [{"type": "spreadsheet"}]),
    "dependency": lambda d: d["dependencies"].append({"ref": 5}),
    "duplicate": lambda d: d["components"].append(copy.deepcopy(d["components"][0])),
    "missing name": lambda d: d["components"][0].pop("name"),
    "property": lambda d: d["components"][0].setdefault("properties", []).append({"value": 1}),
}


def test_a_generated_bom_broken_in_many_places_gets_the_same_errors(tmp_path: Path) -> None:
    doc = _generated_bom(tmp_path)
    original, rewritten = _validators(doc["specVersion"])
    assert _errors(rewritten, doc) == _errors(original, doc) == []
    broken = copy.deepcopy(doc)
    for name, damage in BREAKS.items():
        one = copy.deepcopy(doc)
        damage(one)
        errors = _errors(rewritten, one)
        assert errors, f"{name}: no error from either"
        assert errors == _errors(original, one), name
        damage(broken)
    assert _errors(rewritten, broken) == _errors(original, broken)
