"""The training environment as top-level components, so scanners that read ``components`` see it.

Usage::

    components = environment_components(environment_record)   # cyclonedx Component objects
    refs = [str(c.bom_ref.value) for c in components]          # referenced from formulation
    recorded_environment(bom)                                 # reading either layout back

Each installed distribution becomes a ``library`` component (bom-ref = its purl, built by
:mod:`mbom.bom.purls`); a digest-pinned container image becomes a ``container`` component with
an OCI purl. They built the model, they are not part of it: the model does not depend on them;
the training workflow names them in ``resourceReferences`` (docs/bom-format.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mbom.bom.purls import oci_purl, pypi_purl


def environment_components(environment: Any) -> list[Any]:
    """Library components for ``environment.packages`` and a container for its image."""
    from cyclonedx.model.component import Component, ComponentType
    from packageurl import PackageURL

    if environment is None:
        return []
    components = []
    for package in environment.packages:
        purl = pypi_purl(package.display_name, package.version)
        components.append(
            Component(
                type=ComponentType.LIBRARY,
                name=package.display_name,
                version=package.version or None,
                bom_ref=purl,
                purl=PackageURL.from_string(purl),
            )
        )
    image = environment.container_image
    if image is not None:
        purl = oci_purl(image.name, image.digest)
        components.append(
            Component(
                type=ComponentType.CONTAINER,
                name=image.name or image.digest,
                version=image.digest,
                bom_ref=purl,
                purl=PackageURL.from_string(purl),
            )
        )
    return components


def recorded_environment(bom: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The environment's components a BOM records, in either layout: nested in
    ``formulation[].components`` (before issue 14) or top-level components the formulation's
    workflows name in ``resourceReferences``; each once, in document order."""
    found: list[Mapping[str, Any]] = []
    refs: set[str] = set()
    for formula in _dicts(bom.get("formulation")):
        found += _dicts(formula.get("components"))
        for workflow in _dicts(formula.get("workflows")):
            refs.update(
                str(item.get("ref"))
                for item in _dicts(workflow.get("resourceReferences"))
                if item.get("ref")
            )
    if refs:
        found += [c for c in _dicts(bom.get("components")) if c.get("bom-ref") in refs]
    return found


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return (
        [item for item in value or () if isinstance(item, Mapping)]
        if isinstance(value, (list, tuple))
        else []
    )
