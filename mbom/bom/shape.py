"""The JSON types of the CycloneDX fields mbom's BOM readers rely on, checked once per BOM.

Every reader (inspect, diff, lineage, prove, verify, audit, publish) walks BOMs with
``component.get("components") or ()`` and ``str(p.get("value"))``; an integer where a list
belongs, or a list where a string belongs, would otherwise surface as an internal
``TypeError`` far from the file. The types here are the CycloneDX 1.4-1.7 schema's, so every
schema-valid BOM fits; only fields some reader touches are listed, others are not judged.
"""

from __future__ import annotations

from typing import Any

from mbom._shape import STRING, AnyOf, ListOf, Object, Scalar, Shape, short_path

_TEXT = STRING
_NUMBER_OR_TEXT = Scalar((str, int, float), "a string or a number")
_INTEGER = Scalar((int,), "an integer")
_STRINGS = ListOf(_TEXT)
_PROPERTIES = ListOf(Object({"name": _TEXT, "value": _TEXT}))
_HASHES = ListOf(Object({"alg": _TEXT, "content": _TEXT}))
_LICENSES = ListOf(
    Object(
        {
            "license": Object({"id": _TEXT, "name": _TEXT, "url": _TEXT}),
            "expression": _TEXT,
        }
    )
)
_ENTITY = Object({"name": _TEXT, "url": _STRINGS})

_component_fields: dict[str, Shape] = {}
#: A CycloneDX component (recursive: its ``components`` and pedigree ancestors are too).
COMPONENT = Object(_component_fields)
_COMPONENTS = ListOf(COMPONENT)
_REF_LIST = ListOf(AnyOf((_TEXT, Object({"ref": _TEXT})), "a string or an object"))
_MODEL_CARD = Object(
    {
        "bom-ref": _TEXT,
        "modelParameters": Object(
            {
                "approach": Object({"type": _TEXT}),
                "task": _TEXT,
                "architectureFamily": _TEXT,
                "modelArchitecture": _TEXT,
                "datasets": _REF_LIST,
            }
        ),
        "quantitativeAnalysis": Object(
            {
                "performanceMetrics": ListOf(
                    Object({"type": _TEXT, "value": _NUMBER_OR_TEXT, "slice": _TEXT})
                )
            }
        ),
        "considerations": Object({"useCases": _STRINGS, "technicalLimitations": _STRINGS}),
    }
)
_component_fields.update(
    {
        "type": _TEXT,
        "name": _TEXT,
        "version": _TEXT,
        "group": _TEXT,
        "purl": _TEXT,
        "bom-ref": _TEXT,
        "description": _TEXT,
        "author": _TEXT,
        "publisher": _TEXT,
        "hashes": _HASHES,
        "licenses": _LICENSES,
        "properties": _PROPERTIES,
        "components": _COMPONENTS,
        "pedigree": Object({"ancestors": _COMPONENTS, "notes": _TEXT}),
        "data": ListOf(
            Object({"type": _TEXT, "name": _TEXT, "bom-ref": _TEXT, "classification": _TEXT})
        ),
        "modelCard": _MODEL_CARD,
        "manufacturer": _ENTITY,
        "supplier": _ENTITY,
    }
)
_PARAMETERS = ListOf(Object({"name": _TEXT, "value": _TEXT, "dataType": _TEXT}))
_WORKFLOW = Object(
    {
        "bom-ref": _TEXT,
        "name": _TEXT,
        "properties": _PROPERTIES,
        "inputs": ListOf(Object({"parameters": _PARAMETERS, "resource": Object({"ref": _TEXT})})),
        "outputs": ListOf(Object({"resource": Object({"ref": _TEXT})})),
        "steps": ListOf(Object({"name": _TEXT, "properties": _PROPERTIES})),
    }
)
_TOOLS = AnyOf(
    (
        ListOf(Object({"name": _TEXT, "version": _TEXT, "vendor": _TEXT})),  # CycloneDX 1.4
        Object({"components": _COMPONENTS, "services": ListOf(Object({"name": _TEXT}))}),
    ),
    "a list or an object",
)
#: The BOM document.
BOM = Object(
    {
        "bomFormat": _TEXT,
        "specVersion": _TEXT,
        "serialNumber": _TEXT,
        "version": _INTEGER,
        "metadata": Object(
            {
                "timestamp": _TEXT,
                "component": COMPONENT,
                "tools": _TOOLS,
                "licenses": _LICENSES,
                "properties": _PROPERTIES,
                "manufacturer": _ENTITY,
                "supplier": _ENTITY,
            }
        ),
        "components": _COMPONENTS,
        "dependencies": ListOf(Object({"ref": _TEXT, "dependsOn": _STRINGS})),
        "formulation": ListOf(
            Object(
                {
                    "bom-ref": _TEXT,
                    "components": _COMPONENTS,
                    "properties": _PROPERTIES,
                    "workflows": ListOf(_WORKFLOW),
                }
            )
        ),
        "properties": _PROPERTIES,
    }
)


def bom_shape_problem(doc: Any) -> str | None:
    """``PATH: expected X, got Y`` for the first field of the wrong JSON type, or ``None``."""
    found = BOM.problem(doc)
    if found is None:
        return None
    where, message = short_path(found[0]), found[1]
    return f"{where}: {message}" if where else message
