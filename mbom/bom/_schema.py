"""The official CycloneDX JSON schemas, as shipped inside cyclonedx-python-lib (offline).

The one place that knows where the library keeps its schema files and how to get its strict
validator, so that a library upgrade that moves them needs one fix. cyclonedx and jsonschema
are imported lazily: jsonschema alone costs about a second of start-up.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cyclonedx.validation.json import JsonStrictValidator
    from jsonschema.exceptions import ValidationError as SchemaError


@cache
def supported_spec_versions() -> tuple[str, ...]:
    """Spec versions with a JSON schema in the installed cyclonedx-python-lib, oldest first."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.schema._res import BOM_JSON_STRICT

    found = [v for v in SchemaVersion if BOM_JSON_STRICT.get(v)]
    return tuple(v.to_version() for v in sorted(found, key=lambda v: v.value))


@cache
def _validator(spec_version: str) -> JsonStrictValidator:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    return JsonStrictValidator(SchemaVersion.from_version(spec_version))


@cache
def schema_document(spec_version: str) -> dict[str, Any]:
    """The strict JSON schema for ``spec_version`` as a dict (cached, read-only by convention)."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.schema._res import BOM_JSON_STRICT

    path = BOM_JSON_STRICT[SchemaVersion.from_version(spec_version)]
    if path is None:
        raise ValueError(f"no JSON schema for CycloneDX {spec_version}")
    with open(path, encoding="utf-8") as fh:
        loaded: dict[str, Any] = json.load(fh)
    return loaded


def schema_errors(text: str, spec_version: str) -> Iterator[SchemaError]:
    """Every schema violation in the JSON ``text`` (jsonschema errors, with paths)."""
    found = _validator(spec_version).validate_str(text, all_errors=True)
    for wrapped in found or ():
        yield wrapped.data
