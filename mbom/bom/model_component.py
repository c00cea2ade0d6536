"""The model's component (``metadata.component``) and its file components (top level).

Usage::

    model, files = model_component(builder)   # cyclonedx Component objects

One file component per model file (a tar layer's files nested in it), with the file's role
and, for a checkpoint, what its header says (tensors, parameters, code it would run); the
model's own properties sum them up beside the tree's Merkle roots, its Hub or OCI source and
its card's and config's facts (docs/bom-format.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mbom.bom._cdx import MODEL_REF, file_component, hashes, licence, props, tree_properties
from mbom.bom.oci_parts import oci_contents, oci_file_properties, oci_properties, oci_purl
from mbom.bom.source_properties import (
    checkpoint_properties,
    hub_properties,
    hub_purl,
    hub_references,
    oid_properties,
)
from mbom.capture.checkpoints.safety import CONTENT_SCAN, SCAN_PROPERTY

if TYPE_CHECKING:
    from mbom.bom.build import _Builder


def model_component(builder: _Builder) -> tuple[Any, list[Any]]:
    """The model component and its file components (the builder's model must be set)."""
    from cyclonedx.model.component import Component, ComponentType, Pedigree

    model = builder.inputs.model
    assert model is not None
    files = []
    parameters = 0
    tensors = 0
    for record in model.files:
        extra: list[tuple[str, object]] = [("mbom:role", record.role)]
        info = record.checkpoint
        if info is not None:
            extra += checkpoint_properties(info)
            parameters += info.parameter_count or 0
            tensors += info.tensor_count or 0
        extra += oid_properties(model.hub, record.path)
        extra += oci_file_properties(model.oci, record.path)
        files.append(file_component("model-file:", record.digest, extra))
        for inner in oci_contents(model.oci, record.path):  # a tar layer's files
            files[-1].components.add(_model_file(f"model-file:{record.path}!", inner))
    pairs = tree_properties("mbom:model:", model.tree)
    if model.oci is None or model.oci.pulled:  # capture read every file's bytes
        pairs.append((SCAN_PROPERTY, CONTENT_SCAN))
    pairs += hub_properties(model.hub)
    pairs += oci_properties(model.oci)
    if tensors:
        pairs += [("mbom:model:tensors", tensors), ("mbom:model:parameters", parameters)]
    config, card = builder.config, builder.card
    if config is not None:
        pairs += [
            ("mbom:hf:model_type", config.model_type),
            ("mbom:hf:name_or_path", config.name_or_path),
            ("mbom:hf:torch_dtype", config.torch_dtype),
        ]
    if card is not None:
        pairs += [
            ("mbom:hf:library_name", card.library_name),
            ("mbom:hf:language", ",".join(card.language) or None),
            ("mbom:hf:tags", ",".join(card.tags) or None),
        ]
    ancestors = builder.ancestors()
    single = None if model.is_directory else model.tree.files[0].digests
    component = Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        name=builder.model_name(),
        version=builder.inputs.version,
        bom_ref=MODEL_REF,
        description=card.description if card else None,
        hashes=hashes(single) if single else None,
        licenses=licence(card.license if card else None),
        properties=props(pairs),
        pedigree=Pedigree(ancestors=ancestors) if ancestors else None,
        purl=hub_purl(model.hub) or oci_purl(model.oci),
        external_references=hub_references(model.hub),
    )
    return component, files


def _model_file(ref_prefix: str, record: Any) -> Any:
    """A file component for one model file record, with its checkpoint properties."""
    extra: list[tuple[str, object]] = [("mbom:role", record.role)]
    if record.checkpoint is not None:
        extra += checkpoint_properties(record.checkpoint)
    return file_component(ref_prefix, record.digest, extra)
