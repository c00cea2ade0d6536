"""The model's ``pedigree.ancestors``: the parent models it was trained or derived from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mbom.bom._cdx import MODEL_REF, props
from mbom.bom.parents import MERKLE_ROOT_PROPERTY
from mbom.bom.purls import huggingface_purl, looks_like_hub_id

if TYPE_CHECKING:
    from mbom.bom.build import _Builder


def ancestor_components(builder: _Builder) -> list[Any]:
    """Parent BOMs (linked by serial number) and base models named by the card or config."""
    from cyclonedx.model import ExternalReference, ExternalReferenceType, XsUri
    from cyclonedx.model.component import Component, ComponentType
    from packageurl import PackageURL

    result = []
    for index, parent in enumerate(builder.inputs.parents):
        refs = []
        if parent.serial_number:
            link = f"{parent.serial_number}/{parent.bom_version}#{MODEL_REF}"
            link = link.replace("urn:uuid:", "urn:cdx:", 1)
            refs.append(ExternalReference(type=ExternalReferenceType.BOM, url=XsUri(link)))
        result.append(
            Component(
                type=ComponentType.MACHINE_LEARNING_MODEL,
                name=parent.name or f"parent-{index}",
                version=parent.version,
                bom_ref=f"parent:{parent.serial_number or parent.location}",
                external_references=refs,
                properties=props(
                    [
                        ("mbom:lineage:source", "parent-bom"),
                        ("mbom:parent:location", parent.location),
                        ("mbom:parent:serialNumber", parent.serial_number),
                        ("mbom:parent:bundle", str(parent.from_bundle).lower()),
                        (MERKLE_ROOT_PROPERTY, parent.merkle_root),
                    ]
                ),
            )
        )
    for name, source in base_models(builder):
        purl = PackageURL.from_string(huggingface_purl(name)) if looks_like_hub_id(name) else None
        result.append(
            Component(
                type=ComponentType.MACHINE_LEARNING_MODEL,
                name=name,
                bom_ref=f"base-model:{name}",
                purl=purl,
                properties=props([("mbom:lineage:source", source)]),
            )
        )
    return result


def base_models(builder: _Builder) -> list[tuple[str, str]]:
    """Base models named by the card (``base_model``) or, failing that, config.json."""
    found: dict[str, str] = dict.fromkeys(builder.inputs.base_models, "training:base-model")
    if builder.card is not None:
        for name in builder.card.base_model:
            found.setdefault(name, "model-card:base_model")
    own = {builder.model_name(), builder.inputs.model.name if builder.inputs.model else ""}
    if not found and builder.config is not None and builder.config.name_or_path:
        candidate = builder.config.name_or_path
        if looks_like_hub_id(candidate) and candidate not in own:
            found[candidate] = "config.json:_name_or_path"
    return sorted(found.items())
