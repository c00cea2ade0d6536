"""Rewrite a current BOM in the layout mbom wrote before issue 14 (signed BOMs in the field).

Before: the model's files nested under ``metadata.component``; the environment's packages
inside ``formulation[0].components`` with hand-made purls of PEP 503 names
(``pkg:pypi/boolean-py@5.0``); leaf dependency entries without ``dependsOn``; sidecar
manifests named only by properties. Readers must accept both layouts, so tests run them on
this rewrite of a freshly generated BOM.
"""

from __future__ import annotations

import copy
from typing import Any

from mbom.capture.environment import normalise_package_name


def to_old_layout(bom: dict[str, Any]) -> dict[str, Any]:
    old = copy.deepcopy(bom)
    top = old.get("components", [])
    files = [c for c in top if str(c.get("bom-ref", "")).startswith("model-file:")]
    formula = old["formulation"][0]
    used = {r["ref"] for w in formula.get("workflows", []) for r in w.pop("resourceReferences", [])}
    environment = [c for c in top if c.get("bom-ref") in used]
    moved = {id(c) for c in [*files, *environment]}
    old["components"] = [c for c in top if id(c) not in moved]
    old["metadata"]["component"]["components"] = files
    packages = []
    for component in environment:
        if component.get("type") != "library":
            continue
        name = normalise_package_name(component["name"])
        purl = f"pkg:pypi/{name}@{component.get('version', '')}"
        packages.append(
            {"type": "library", "bom-ref": purl, "name": name, "version": component.get("version"),
             "purl": purl}
        )  # fmt: skip
    if packages:
        formula["components"] = packages
    for component in old["components"]:
        refs = [r for r in component.get("externalReferences", []) if r.get("type") != "other"]
        if refs:
            component["externalReferences"] = refs
        else:
            component.pop("externalReferences", None)
    gone = {c.get("bom-ref") for c in [*files, *environment]}
    dependencies = []
    for entry in old.get("dependencies", []):
        if entry["ref"] in gone:
            continue
        targets = [t for t in entry.get("dependsOn", []) if t not in gone]
        dependencies.append({"ref": entry["ref"], **({"dependsOn": targets} if targets else {})})
    old["dependencies"] = dependencies
    return old
