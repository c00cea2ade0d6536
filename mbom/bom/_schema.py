"""The official CycloneDX JSON schemas, as shipped inside cyclonedx-python-lib (offline).

The one place that knows where the library keeps its schema files and how to validate against
them. It builds the same validator as ``cyclonedx.validation.json.JsonStrictValidator`` (Draft 7,
format checks, the shipped SPDX / JSF / cryptography-defs schemas in a local ``referencing``
registry, so nothing is fetched) with two changes. jsonschema checks ``uniqueItems`` (set on
``components`` and ``dependencies``) by comparing every pair, which took 440 s on a BOM with
20,000 components; here it is a linear-time check with the same meaning. And every ``$ref``
is resolved once, when the validator is built (:mod:`mbom._schema_refs`), not at each
component: the same errors, in half the time.

cyclonedx and jsonschema are imported lazily, jsonschema through :mod:`mbom._jsonschema` (which
avoids its one-second start-up and checks IRIs quickly).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from mbom._jsonschema import format_checker, jsonschema
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
def _registry() -> Any:
    """The sub-schemas the BOM schemas refer to, from the library's files (nothing fetched)."""
    from cyclonedx.schema._res import CRYPTOGRAPHY_DEFS, JSF, SPDX_JSON
    from referencing import Registry
    from referencing.jsonschema import DRAFT7

    return Registry().with_resources(
        (_SCHEMA_BASE_URI + os.path.basename(path), DRAFT7.create_resource(_load(path)))
        for path in (SPDX_JSON, JSF, CRYPTOGRAPHY_DEFS)
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
    """Build the validator for ``spec_version`` now (once a process; imports jsonschema and
    loads the schemas), so that the first validation does not pay for it."""
    _validator(spec_version)


def schema_errors(doc: Any, spec_version: str) -> Iterator[SchemaError]:
    """Every schema violation in the parsed document (jsonschema errors, with paths)."""
    return _validator(spec_version).iter_errors(doc)
