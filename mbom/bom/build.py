"""Captured records -> a CycloneDX 1.6 (or 1.7) ML-BOM, deterministic and schema-valid.

The standard parts (components, hashes, licences, pedigree, tools, dependencies) are built
with cyclonedx-python-lib; the ML parts it lacks (modelCard, component ``data``,
``formulation``) come from :mod:`mbom.bom.ml_parts` and are inserted into its JSON output.
The layout is documented field by field in docs/bom-format.md.

Determinism: bom-refs are derived from content (``model``, ``model-file:<path>``,
``dataset:<name>``...), arrays are sorted, the timestamp is ``SOURCE_DATE_EPOCH`` when set,
and the serial number is a UUIDv5 of the document's canonical JSON (which includes the
timestamp), so the same inputs always give the same bytes.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from mbom import __version__
from mbom.bom._cdx import MODEL_REF, dependency_entries, hashes, props, registered_once
from mbom.bom.ancestors import ancestor_components, base_models
from mbom.bom.formulation import training_formula
from mbom.bom.ml_parts import ComponentData, Formula, ModelCard, PerformanceMetric, Prop
from mbom.bom.parents import ParentRecord
from mbom.bom.subjects import SIZE_PROPERTY
from mbom.capture.datasets import DatasetRecord
from mbom.capture.model import ModelRecord
from mbom.errors import InputError
from mbom.hashing import FileDigest

SPEC_VERSIONS = ("1.6", "1.7")
DEFAULT_MANIFEST_THRESHOLD = 1000
#: Namespace of content-derived serial numbers (UUIDv5 of the canonical document).
SERIAL_NAMESPACE = uuid.UUID("6d626f6d-0000-5000-8000-636478736572")


@dataclass(frozen=True, slots=True)
class ConfigInput:
    """A training config: its digest and what it parsed to (``ConfigRecord``)."""

    digest: FileDigest
    record: Any


@dataclass(frozen=True, slots=True)
class CheckpointStep:
    """A checkpoint saved during training (the recorder's steps), in order.

    ``merkle_root`` is the directory's Merkle root, or the file's SHA-256 when ``is_file``;
    ``parent_root`` the previous checkpoint's (the lineage chain)."""

    path: str
    step: int | None
    merkle_root: str
    metrics: Mapping[str, Any] = field(default_factory=dict)
    parent_root: str | None = None
    is_file: bool = False
    properties: tuple[Prop, ...] = ()


@dataclass(frozen=True, slots=True)
class BomInputs:
    """Everything the generator captured, ready to be written as one BOM."""

    model: ModelRecord | None
    datasets: tuple[DatasetRecord, ...] = ()
    configs: tuple[ConfigInput, ...] = ()
    environment: Any = None  # mbom.capture.environment.EnvironmentRecord
    parents: tuple[ParentRecord, ...] = ()
    name: str | None = None
    version: str | None = None
    checkpoints: tuple[CheckpointStep, ...] = ()
    properties: tuple[Prop, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)
    """Hyperparameters not read from a config file (flattened dotted keys, JSON scalars)."""
    base_models: tuple[str, ...] = ()
    """Base models named by the training run (e.g. ``model.config._name_or_path``)."""


@dataclass(frozen=True, slots=True)
class BuildOptions:
    spec_version: str = "1.6"
    timestamp: datetime | None = None
    manifest_threshold: int = DEFAULT_MANIFEST_THRESHOLD
    manifest_stem: str = "bom"


@dataclass(frozen=True, slots=True)
class BuiltBom:
    """The BOM as a JSON document and its serialised text, plus sidecar manifests to write
    beside it (file name relative to the BOM, content: bytes, or a
    :class:`~mbom.bom.dataset_components.ManifestFile` streamed to a temporary file)."""

    document: dict[str, Any]
    text: str
    manifests: tuple[tuple[str, Any], ...] = ()


def build_timestamp() -> datetime:
    """``SOURCE_DATE_EPOCH`` when set (reproducible builds), else now; UTC, whole seconds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        try:
            return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
        except (ValueError, OverflowError):
            raise InputError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix timestamp") from None
    return datetime.now(tz=timezone.utc).replace(microsecond=0)


def build_bom(inputs: BomInputs, options: BuildOptions | None = None) -> BuiltBom:
    """Assemble, serialise and validate the BOM. Raises InputError if it would be invalid."""
    options = options or BuildOptions()
    if options.spec_version not in SPEC_VERSIONS:
        raise InputError(
            f"unsupported --spec-version {options.spec_version!r}: "
            f"choose {' or '.join(SPEC_VERSIONS)}"
        )
    builder = _Builder(inputs, options)
    document = builder.document()
    text = serialise(document)
    _validate(text)
    return BuiltBom(document=document, text=text, manifests=tuple(builder.manifests))


def prepare(options: BuildOptions, *, licences: bool = True) -> None:
    """Load now what :func:`build_bom` needs besides the inputs: the CycloneDX model and
    serialiser, the modules that turn records into components, the schema and its validator,
    and (``licences``: a card may name one) the SPDX licence list, 30-40 ms of the work.

    generate calls this while the model is hashed, so the real build after it pays none of
    it. (It used to build and drop a whole BOM around a stand-in model: measured, the real
    build took 0.17 CPU-s after either, and the throw-away build cost 0.17 CPU-s more on
    the cores the hashing uses; docs/benchmarks.md, issue 15.) Nothing is built or kept:
    the BOM is the same bytes with or without it.
    """
    import cyclonedx.model.bom
    import cyclonedx.output.json

    import mbom.bom.dataset_components
    import mbom.bom.environment_components
    import mbom.bom.model_component  # noqa: F401
    from mbom.bom.validate import load_validator

    if licences:
        import cyclonedx.spdx  # noqa: F401

    if options.spec_version in SPEC_VERSIONS:
        load_validator(options.spec_version)


def serialise(document: Mapping[str, Any]) -> str:
    """The BOM's on-disk form: 2-space indented JSON, UTF-8, trailing newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _validate(text: str) -> None:
    from mbom.bom.validate import validate_bom

    result = validate_bom(text.encode("utf-8"))
    if result.errors:
        first = result.errors[0]
        raise InputError(
            f"the generated BOM does not validate ({len(result.errors)} errors), first: "
            f"{first.pointer or '/'}: {first.message}"
        )


# ----------------------------------------------------------------------------- internals


class _Builder:
    """One BOM assembly; collects sidecar manifests on the way."""

    def __init__(self, inputs: BomInputs, options: BuildOptions) -> None:
        self.inputs = inputs
        self.options = options
        self.manifests: list[tuple[str, Any]] = []
        self.card = inputs.model.hf.card if inputs.model and inputs.model.hf else None
        self.config = inputs.model.hf.config if inputs.model and inputs.model.hf else None

    # ---- components -------------------------------------------------------------------

    def model_component(self) -> tuple[Any, list[Any]]:
        """The model (``metadata.component``) and its file components (top level)."""
        from mbom.bom.model_component import model_component

        return model_component(self)

    def model_name(self) -> str:
        if self.inputs.name:
            return self.inputs.name
        if self.card is not None and self.card.model_name:
            return self.card.model_name
        return self.inputs.model.name if self.inputs.model else "model"

    def ancestors(self) -> list[Any]:
        return ancestor_components(self)

    def base_models(self) -> list[tuple[str, str]]:
        return base_models(self)

    def dataset_components(self) -> tuple[list[Any], list[str], dict[str, Any]]:
        from mbom.bom.dataset_components import dataset_components

        return dataset_components(self)

    def config_components(self) -> tuple[list[Any], list[str], dict[str, Any]]:
        from cyclonedx.model.component import Component, ComponentType

        components, refs, data_parts = [], [], {}
        for config in self.inputs.configs:
            ref = f"config:{config.digest.path}"
            components.append(
                Component(
                    type=ComponentType.DATA,
                    name=config.digest.path,
                    bom_ref=ref,
                    hashes=hashes(config.digest.digests),
                    properties=props(
                        [
                            (SIZE_PROPERTY, config.digest.size),
                            ("mbom:config:format", config.record.format),
                        ]
                    ),
                )
            )
            refs.append(ref)
            data_parts[ref] = ComponentData(
                bom_ref=f"{ref}:data", type="configuration", name=config.digest.path
            )
        return components, refs, data_parts

    # ---- ML parts -------------------------------------------------------------------

    def model_card(self, dataset_refs: Sequence[str]) -> ModelCard:
        card, config = self.card, self.config
        metrics = []
        if card is not None:
            for metric in card.metrics:
                where = metric.dataset_name + (
                    f" ({metric.dataset_split})" if metric.dataset_split else ""
                )
                metrics.append(
                    PerformanceMetric(
                        type=metric.metric_name or metric.metric_type,
                        value=str(metric.metric_value),
                        slice=where,
                    )
                )
        return ModelCard(
            bom_ref="model-card",
            task=card.pipeline_tag if card else None,
            architecture_family=config.model_type if config else None,
            model_architecture=config.architectures[0] if config and config.architectures else None,
            dataset_refs=tuple(dataset_refs),
            metrics=tuple(metrics),
            technical_limitations=card.limitations if card else (),
        )

    def formula(self, input_refs: Sequence[str], resource_refs: Sequence[str]) -> Formula:
        return training_formula(self.inputs, input_refs, resource_refs)

    # ---- document -------------------------------------------------------------------

    def document(self) -> dict[str, Any]:
        from cyclonedx.model.bom import Bom, BomMetaData
        from cyclonedx.model.component import Component, ComponentType
        from cyclonedx.model.tool import ToolRepository
        from cyclonedx.output.json import JsonV1Dot6, JsonV1Dot7

        from mbom.bom.environment_components import environment_components

        tool = Component(
            type=ComponentType.APPLICATION, name="mbom", version=__version__, bom_ref="tool:mbom"
        )
        datasets, dataset_refs, data_parts = self.dataset_components()
        configs, config_refs, config_parts = self.config_components()
        data_parts.update(config_parts)
        model, files = self.model_component() if self.inputs.model else (None, [])
        environment = environment_components(self.inputs.environment)
        timestamp = self.options.timestamp or build_timestamp()
        bom = Bom(
            serial_number=uuid.UUID(int=0),
            metadata=BomMetaData(
                timestamp=timestamp,
                tools=ToolRepository(components=[tool]),
                component=model,
                properties=props((p.name, p.value) for p in self.inputs.properties),
            ),
            components=[*files, *datasets, *configs, *environment],
        )
        bom.dependencies = dependency_entries(model, [*files, *datasets, *configs], bom.components)
        registered_once(bom)
        outputter = (JsonV1Dot7 if self.options.spec_version == "1.7" else JsonV1Dot6)(bom)
        document = json.loads(outputter.output_as_string())
        resource_refs = [str(component.bom_ref.value) for component in environment]
        self._insert_ml_parts(document, data_parts, dataset_refs, config_refs, resource_refs)
        document["dependencies"] = _dependencies(document.get("dependencies") or [])
        document["serialNumber"] = content_serial_number(document)
        return _ordered(document)

    def _insert_ml_parts(
        self,
        document: dict[str, Any],
        data_parts: Mapping[str, ComponentData],
        dataset_refs: Sequence[str],
        config_refs: Sequence[str],
        resource_refs: Sequence[str],
    ) -> None:
        main = document.get("metadata", {}).get("component")
        if main is not None:
            main["modelCard"] = self.model_card(dataset_refs).to_json()
        for component in document.get("components", []):
            part = data_parts.get(component.get("bom-ref"))
            if part is not None:
                component["data"] = [part.to_json()]
        formula = self.formula([*dataset_refs, *config_refs], resource_refs)
        document["formulation"] = [formula.to_json()]


def _dependencies(entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every entry with a ``dependsOn`` list (empty for a leaf: cdxgen's validator needs it),
    the model's first (lib4sbom reads the first entry as what the BOM describes)."""
    result = [{"ref": e["ref"], "dependsOn": list(e.get("dependsOn") or [])} for e in entries]
    result.sort(key=lambda entry: entry["ref"] != MODEL_REF)  # stable: the rest keep order
    return result


_TOP_LEVEL_ORDER = (
    "$schema",
    "bomFormat",
    "specVersion",
    "serialNumber",
    "version",
    "metadata",
    "components",
    "formulation",
    "dependencies",
)


def _ordered(document: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level keys in reading order (identity first), the rest after, as they came."""
    ordered = {key: document[key] for key in _TOP_LEVEL_ORDER if key in document}
    ordered.update((key, value) for key, value in document.items() if key not in ordered)
    return ordered


def content_serial_number(document: Mapping[str, Any]) -> str:
    """UUIDv5 over the canonical JSON of the document without its serial number."""
    body = {key: value for key, value in document.items() if key != "serialNumber"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"urn:uuid:{uuid.uuid5(SERIAL_NAMESPACE, canonical)}"
