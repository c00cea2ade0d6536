"""The official CycloneDX JSON schemas, as shipped inside cyclonedx-python-lib (offline).

The one place that knows where the library keeps its schema files and how to validate against
them. Two validators read the same files, with different jobs:

* The verdict (:func:`schema_verdict`) is jsonschema-rs: Draft 7, format checks, the shipped
  SPDX / JSF / cryptography-defs schemas in a local registry, and a retriever that refuses
  every fetch. It loads in about 10 ms and validates a 100-component BOM in 0.2 ms and one
  with 20,000 components in 20 ms. The Python path below took 80 ms to load and 15 ms to
  validate the small one; in generate and verify that was most of their cost beyond hashing
  (docs/benchmarks.md, issue 15).
* The explanation (:func:`schema_errors`) runs only for a document the verdict refused: it
  builds the same validator as ``cyclonedx.validation.json.JsonStrictValidator`` (python
  jsonschema) so that :mod:`mbom.bom._messages` can descend into the branch of a ``oneOf``
  the document nearly matched and say what is wrong in plain words. jsonschema checks
  ``uniqueItems`` (set on ``components`` and ``dependencies``) by comparing every pair, which
  took 440 s on a BOM with 20,000 components; here it is a linear-time check with the same
  meaning. And every ``$ref`` is resolved once, when the validator is built
  (:mod:`mbom._schema_refs`), not at each component.

cyclonedx and both validators are imported lazily, jsonschema through :mod:`mbom._jsonschema`
(which avoids its one-second start-up and checks IRIs quickly).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from mbom._jsonschema import (
    format_checker,
    jsonschema,
    verdict,
    verdict_errors,
    verdict_validator,
)
from mbom._schema_refs import without_refs

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError as SchemaError
    from jsonschema.protocols import Validator

# Base URI the BOM schemas' relative "$ref"s to their sub-schemas resolve against.
_SCHEMA_BASE_URI = "http://cyclonedx.org/schema/"


@cache
def supported_spec_versions() -> tuple[str, ...]:
    """Spec versions with a JSON schema in the installed cyclonedx-python-lib, oldest first."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.schema._res import BOM_JSON_STRICT

    found = [v for v in SchemaVersion if BOM_JSON_STRICT.get(v)]
    return tuple(v.to_version() for v in sorted(found, key=lambda v: v.value))


def _load(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        loaded: dict[str, Any] = json.load(fh)
    return loaded


@cache
def schema_document(spec_version: str) -> dict[str, Any]:
    """The strict JSON schema for ``spec_version`` as a dict (cached: do not modify it)."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.schema._res import BOM_JSON_STRICT

    path = BOM_JSON_STRICT[SchemaVersion.from_version(spec_version)]
    if path is None:
        raise ValueError(f"no JSON schema for CycloneDX {spec_version}")
    return _load(path)


def _canonical(value: Any) -> Any:
    """A form in which two JSON values are equal exactly when jsonschema deems them equal
    (``1 == 1.0``, ``true != 1``, key order irrelevant)."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _unique_items(validator: Any, enabled: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if not enabled or not validator.is_type(instance, "array"):
        return
    first: dict[str, int] = {}
    for index, item in enumerate(instance):
        key = json.dumps(_canonical(item), sort_keys=True, separators=(",", ":"))
        if key in first:
            yield ValidationError(
                f"items {first[key]} and {index} are identical; the schema requires unique items"
            )
            return
        first[key] = index


@cache
def _sub_schemas() -> tuple[tuple[str, dict[str, Any]], ...]:
    """(URI, schema) of every sub-schema the BOM schemas refer to, from the library's files."""
    from cyclonedx.schema._res import CRYPTOGRAPHY_DEFS, JSF, SPDX_JSON

    return tuple(
        (_SCHEMA_BASE_URI + os.path.basename(path), _load(path))
        for path in (SPDX_JSON, JSF, CRYPTOGRAPHY_DEFS)
    )


@cache
def _verdict_validator(spec_version: str) -> Any:
    return verdict_validator(
        schema_document(spec_version), draft=7, formats=True, resources=_sub_schemas()
    )


def schema_verdict(doc: Any, spec_version: str, *, bounded: bool = False) -> bool | None:
    """Whether the document is schema-valid; None when the verdict cannot read it (see
    :func:`mbom._jsonschema.verdict`, and ``bounded`` there): the explanation then decides."""
    return verdict(_verdict_validator(spec_version), doc, bounded=bounded)


def schema_verdict_errors(doc: Any, spec_version: str) -> list[tuple[str, str, list[str | int]]]:
    """(keyword, message, instance path) of every violation the verdict sees."""
    return verdict_errors(_verdict_validator(spec_version), doc)


@cache
def _registry() -> Any:
    """The sub-schemas the BOM schemas refer to, for the explanation (nothing fetched)."""
    from referencing import Registry
    from referencing.jsonschema import DRAFT7

    return Registry().with_resources(
        (uri, DRAFT7.create_resource(schema)) for uri, schema in _sub_schemas()
    )


@cache
def _validator_class() -> Any:
    """Draft 7 with the linear ``uniqueItems``."""
    validators = jsonschema().validators
    return validators.extend(validators.Draft7Validator, {"uniqueItems": _unique_items})


@cache
def _validator(spec_version: str) -> Validator:
    registry = _registry()
    schema = without_refs(schema_document(spec_version), registry)
    return _validator_class()(schema, registry=registry, format_checker=format_checker())


def load_validator(spec_version: str) -> None:
    """Build the verdict's validator for ``spec_version`` now (once a process; loads the
    schemas), so that the first validation does not pay for it."""
    _verdict_validator(spec_version)


def schema_errors(doc: Any, spec_version: str) -> Iterator[SchemaError]:
    """Every schema violation in the parsed document, explained (jsonschema errors, with
    paths): for a document :func:`schema_verdict` did not accept."""
    return _validator(spec_version).iter_errors(doc)
