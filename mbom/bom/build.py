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

import contextlib
import json
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from mbom import __version__
from mbom.bom.ml_parts import (
    ComponentData,
    Formula,
    ModelCard,
    Parameter,
    PerformanceMetric,
    Prop,
    Step,
    Workflow,
)
from mbom.bom.oci_parts import oci_contents, oci_file_properties, oci_properties, oci_purl
from mbom.bom.parents import MERKLE_ROOT_PROPERTY, ParentRecord
from mbom.bom.purls import huggingface_purl, looks_like_hub_id
from mbom.bom.subjects import MODE_PROPERTY, SIZE_PROPERTY, SYMLINK_PROPERTY
from mbom.bom.versions import version_properties
from mbom.capture.checkpoints.safety import CONTENT_SCAN, SCAN_PROPERTY
from mbom.capture.datasets import DatasetRecord
from mbom.capture.model import ModelFileRecord, ModelRecord
from mbom.errors import InputError
from mbom.hashing import CYCLONEDX_NAMES, FileDigest, TreeDigest, recorded_mode

SPEC_VERSIONS = ("1.6", "1.7")
DEFAULT_MANIFEST_THRESHOLD = 1000
MODEL_REF = "model"
FORMULA_REF = "formula:training"
WORKFLOW_REF = "workflow:training"
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


def prepare(inputs: BomInputs, options: BuildOptions) -> None:
    """Build and validate a BOM of ``inputs`` around a stand-in model, and drop it.

    Imports, the schema, and the validator's reference lookups (half of the first
    validation's time) are then ready for the real BOM: generate does this while the model
    is hashed. Nothing is kept, so the real BOM is the same bytes; an error here is left
    for the real build to report.
    """
    digest = FileDigest("config.json", 2, {"sha256": "0" * 64})
    tree = TreeDigest("model", True, ("sha256",), (digest,), {"sha256": "0" * 64})
    stand_in = ModelRecord("model", "model", tree, (ModelFileRecord(digest, "config"),))
    with contextlib.suppress(InputError):
        build_bom(replace(inputs, model=stand_in), options)


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


def _props(pairs: Iterable[tuple[str, object]]) -> list[Any]:
    from cyclonedx.model import Property

    return [Property(name=name, value=str(value)) for name, value in pairs if value is not None]


def _hashes(digests: Mapping[str, str]) -> list[Any]:
    from cyclonedx.model import HashAlgorithm, HashType

    return [
        HashType(alg=HashAlgorithm(CYCLONEDX_NAMES[name]), content=value)
        for name, value in sorted(digests.items())
    ]


def _licence(text: str | None) -> list[Any]:
    from cyclonedx.model.license import DisjunctiveLicense
    from cyclonedx.spdx import fixup_id

    if not text:
        return []
    spdx = fixup_id(text)
    return [DisjunctiveLicense(id=spdx) if spdx else DisjunctiveLicense(name=text)]


def _json_scalar_type(value: object) -> str:
    """A hyperparameter's CycloneDX data type: its JSON scalar type, else ``string`` (encoded)."""
    from mbom._shape import json_type

    name = json_type(value)
    return name if name in ("null", "boolean", "integer", "number") else "string"


class _Builder:
    """One BOM assembly; collects sidecar manifests on the way."""

    def __init__(self, inputs: BomInputs, options: BuildOptions) -> None:
        self.inputs = inputs
        self.options = options
        self.manifests: list[tuple[str, Any]] = []
        self.card = inputs.model.hf.card if inputs.model and inputs.model.hf else None
        self.config = inputs.model.hf.config if inputs.model and inputs.model.hf else None

    # ---- components -------------------------------------------------------------------

    def _file_component(self, ref_prefix: str, entry: FileDigest, extra: Sequence[tuple]) -> Any:
        from cyclonedx.model.component import Component, ComponentType

        pairs = [
            (SIZE_PROPERTY, entry.size),
            (SYMLINK_PROPERTY, entry.symlink),
            (MODE_PROPERTY, recorded_mode(entry.mode)),
            *version_properties(entry.version),
            *extra,
        ]
        return Component(
            type=ComponentType.FILE,
            name=entry.path,
            bom_ref=f"{ref_prefix}{entry.path}",
            hashes=_hashes(entry.digests),
            properties=_props(pairs),
        )

    def _tree_properties(self, prefix: str, tree: TreeDigest) -> list[tuple[str, object]]:
        pairs: list[tuple[str, object]] = [
            (f"{prefix}files", len(tree.files)),
            (f"{prefix}bytes", tree.total_size),
        ]
        if tree.is_directory:
            pairs += [(f"mbom:merkle-root:{name}", tree.root(name)) for name in tree.algorithms]
        if tree.ignored:
            pairs.append((f"{prefix}ignored", json.dumps(list(tree.ignored))))
        return pairs

    def model_component(self) -> tuple[Any, list[Any]]:
        """The model (``metadata.component``) and its file components (top level)."""
        from cyclonedx.model.component import Component, ComponentType, Pedigree

        model = self.inputs.model
        assert model is not None
        files = []
        parameters = 0
        tensors = 0
        for record in model.files:
            extra: list[tuple[str, object]] = [("mbom:role", record.role)]
            info = record.checkpoint
            if info is not None:
                extra += _checkpoint_properties(info)
                parameters += info.parameter_count or 0
                tensors += info.tensor_count or 0
            extra += _oid_properties(model.hub, record.path)
            extra += oci_file_properties(model.oci, record.path)
            files.append(self._file_component("model-file:", record.digest, extra))
            for inner in oci_contents(model.oci, record.path):  # a tar layer's files
                files[-1].components.add(self._model_file(f"model-file:{record.path}!", inner))
        pairs = self._tree_properties("mbom:model:", model.tree)
        if model.oci is None or model.oci.pulled:  # capture read every file's bytes
            pairs.append((SCAN_PROPERTY, CONTENT_SCAN))
        pairs += _hub_properties(model.hub)
        pairs += oci_properties(model.oci)
        if tensors:
            pairs += [("mbom:model:tensors", tensors), ("mbom:model:parameters", parameters)]
        if self.config is not None:
            pairs += [
                ("mbom:hf:model_type", self.config.model_type),
                ("mbom:hf:name_or_path", self.config.name_or_path),
                ("mbom:hf:torch_dtype", self.config.torch_dtype),
            ]
        if self.card is not None:
            pairs += [
                ("mbom:hf:library_name", self.card.library_name),
                ("mbom:hf:language", ",".join(self.card.language) or None),
                ("mbom:hf:tags", ",".join(self.card.tags) or None),
            ]
        ancestors = self.ancestors()
        single = None if model.is_directory else model.tree.files[0].digests
        component = Component(
            type=ComponentType.MACHINE_LEARNING_MODEL,
            name=self.model_name(),
            version=self.inputs.version,
            bom_ref=MODEL_REF,
            description=self.card.description if self.card else None,
            hashes=_hashes(single) if single else None,
            licenses=_licence(self.card.license if self.card else None),
            properties=_props(pairs),
            pedigree=Pedigree(ancestors=ancestors) if ancestors else None,
            purl=_hub_purl(model.hub) or oci_purl(model.oci),
            external_references=_hub_references(model.hub),
        )
        return component, files

    def _model_file(self, ref_prefix: str, record: Any) -> Any:
        """A file component for one model file record, with its checkpoint properties."""
        extra: list[tuple[str, object]] = [("mbom:role", record.role)]
        if record.checkpoint is not None:
            extra += _checkpoint_properties(record.checkpoint)
        return self._file_component(ref_prefix, record.digest, extra)

    def model_name(self) -> str:
        if self.inputs.name:
            return self.inputs.name
        if self.card is not None and self.card.model_name:
            return self.card.model_name
        return self.inputs.model.name if self.inputs.model else "model"

    def ancestors(self) -> list[Any]:
        from cyclonedx.model import ExternalReference, ExternalReferenceType, XsUri
        from cyclonedx.model.component import Component, ComponentType
        from packageurl import PackageURL

        result = []
        for index, parent in enumerate(self.inputs.parents):
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
                    properties=_props(
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
        for name, source in self.base_models():
            purl = (
                PackageURL.from_string(huggingface_purl(name)) if looks_like_hub_id(name) else None
            )
            result.append(
                Component(
                    type=ComponentType.MACHINE_LEARNING_MODEL,
                    name=name,
                    bom_ref=f"base-model:{name}",
                    purl=purl,
                    properties=_props([("mbom:lineage:source", source)]),
                )
            )
        return result

    def base_models(self) -> list[tuple[str, str]]:
        """Base models named by the card (``base_model``) or, failing that, config.json."""
        found: dict[str, str] = dict.fromkeys(self.inputs.base_models, "training:base-model")
        if self.card is not None:
            for name in self.card.base_model:
                found.setdefault(name, "model-card:base_model")
        own = {self.model_name(), self.inputs.model.name if self.inputs.model else ""}
        if not found and self.config is not None and self.config.name_or_path:
            candidate = self.config.name_or_path
            if looks_like_hub_id(candidate) and candidate not in own:
                found[candidate] = "config.json:_name_or_path"
        return sorted(found.items())

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
                    hashes=_hashes(config.digest.digests),
                    properties=_props(
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
        environment = self.inputs.environment
        parameters = []
        several = len(self.inputs.configs) > 1
        for config in self.inputs.configs:
            for key, value in (config.record.hyperparameters or {}).items():
                name = f"{config.digest.path}:{key}" if several else key
                encoded = value if isinstance(value, str) else json.dumps(value)
                parameters.append(Parameter(name, encoded, _json_scalar_type(value)))
        for key, value in sorted(self.inputs.parameters.items()):
            encoded = value if isinstance(value, str) else json.dumps(value)
            parameters.append(Parameter(key, encoded, _json_scalar_type(value)))
        workflow_props: list[Prop] = []
        formula_props: list[Prop] = []
        if environment is not None:
            git = environment.git
            if git is not None:
                workflow_props += _prop_list(
                    [
                        ("mbom:git:commit", git.commit),
                        ("mbom:git:branch", git.branch),
                        ("mbom:git:remote", git.remote_url),
                        (
                            "mbom:git:dirty",
                            "unknown" if git.dirty is None else str(git.dirty).lower(),
                        ),
                    ]
                )
            formula_props += _environment_properties(environment)
        steps = tuple(
            Step(
                name=f"checkpoint {checkpoint.step}"
                if checkpoint.step is not None
                else f"checkpoint {index}",
                properties=tuple(
                    _prop_list(
                        [
                            ("mbom:checkpoint:path", checkpoint.path),
                            ("mbom:checkpoint:step", checkpoint.step),
                            ("mbom:checkpoint:index", index),
                            (
                                "mbom:checkpoint:sha256"
                                if checkpoint.is_file
                                else "mbom:merkle-root:sha256",
                                checkpoint.merkle_root,
                            ),
                            ("mbom:checkpoint:parent", checkpoint.parent_root),
                            *(
                                (f"mbom:metric:{k}", json.dumps(v))
                                for k, v in sorted(checkpoint.metrics.items())
                            ),
                        ]
                    )
                )
                + checkpoint.properties,
            )
            for index, checkpoint in enumerate(self.inputs.checkpoints)
        )
        workflow = Workflow(
            bom_ref=WORKFLOW_REF,
            uid=WORKFLOW_REF,
            name="training",
            description="The run that produced the model: its inputs, parameters and environment.",
            input_refs=tuple(input_refs),
            resource_refs=tuple(resource_refs),
            parameters=tuple(parameters),
            output_refs=(MODEL_REF,) if self.inputs.model else (),
            steps=steps,
            properties=tuple(workflow_props),
        )
        return Formula(
            bom_ref=FORMULA_REF,
            workflows=(workflow,),
            properties=tuple(formula_props),
        )

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
                properties=_props((p.name, p.value) for p in self.inputs.properties),
            ),
            components=[*files, *datasets, *configs, *environment],
        )
        if model is not None:
            bom.register_dependency(model, [*files, *datasets, *configs])
        for component in [*files, *datasets, *configs, *environment]:
            bom.register_dependency(component, [])
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


def _prop_list(pairs: Iterable[tuple[str, object]]) -> list[Prop]:
    return [Prop(name, str(value)) for name, value in pairs if value is not None]


def _environment_properties(environment: Any) -> list[Prop]:
    pairs: list[tuple[str, object]] = [
        ("mbom:env:python", f"{environment.python_implementation} {environment.python_version}"),
        ("mbom:env:recorded-from", environment.recorded_from or None),
        (
            "mbom:env:os",
            environment.os.pretty_name or f"{environment.os.system} {environment.os.release}",
        ),
        ("mbom:env:kernel", f"{environment.os.system} {environment.os.release}"),
        ("mbom:env:arch", environment.machine.architecture),
        ("mbom:env:cpu", environment.machine.cpu_model),
        ("mbom:env:cpus", environment.machine.logical_cpus),
    ]
    for index, gpu in enumerate(environment.gpus):
        pairs.append(
            (
                f"mbom:env:gpu:{index}",
                f"{gpu.name}; driver {gpu.driver_version}; {gpu.memory_total}",
            )
        )
    image = environment.container_image
    if image is not None:
        pairs.append(
            (
                "mbom:env:container-image",
                f"{image.name}@{image.digest}" if image.name else image.digest,
            )
        )
    return _prop_list(pairs)


def _hub_properties(hub: Any) -> list[tuple[str, object]]:
    """Repository, commit and oid mismatches of a model or dataset from the Hugging Face Hub."""
    if hub is None:
        return []
    snapshot = hub.snapshot
    return [
        ("mbom:hf:repo", snapshot.repo_id),
        ("mbom:hf:revision", snapshot.revision),
        ("mbom:hf:requested-revision", snapshot.requested),
        ("mbom:hf:oid-mismatches", json.dumps(list(hub.mismatches)) if hub.mismatches else None),
    ]


def _oid_properties(hub: Any, path: str) -> list[tuple[str, object]]:
    check = hub.check_for(path) if hub is not None else None
    if check is None or check.oid is None:
        return []
    match = None if check.match is None else str(check.match).lower()
    return [("mbom:hf:oid", check.oid), ("mbom:hf:oid-match", match)]


def _hub_purl(hub: Any) -> Any:
    if hub is None:
        return None
    from packageurl import PackageURL

    snapshot = hub.snapshot
    text = huggingface_purl(
        snapshot.repo_id, snapshot.revision, dataset=snapshot.repo_type == "dataset"
    )
    return PackageURL.from_string(text)


def _hub_references(hub: Any) -> list[Any]:
    if hub is None:
        return []
    from cyclonedx.model import ExternalReference, ExternalReferenceType, XsUri

    return [ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=XsUri(hub.snapshot.url))]


def _checkpoint_properties(info: Any) -> list[tuple[str, object]]:
    """What mbom.capture.checkpoints.safety decided about the file, in its property names."""
    from mbom.capture.checkpoints import safety
    from mbom.capture.checkpoints.facts import parsed_facts

    pairs: list[tuple[str, object]] = [
        (safety.FORMAT_PROPERTY, info.format),
        ("mbom:checkpoint:tensors", info.tensor_count),
        ("mbom:checkpoint:parameters", info.parameter_count),
        ("mbom:checkpoint:dtypes", ",".join(info.dtypes) or None),
        (safety.EXECUTES_PROPERTY, str(info.executes_code).lower()),
        (safety.SAFE_PROPERTY, str(info.safe_to_load).lower()),
        (safety.COMPRESSION_PROPERTY, info.compression),
    ]
    lists = (
        (safety.GLOBALS_PROPERTY, info.pickle_globals),
        (safety.UNSAFE_PROPERTY, info.unsafe_globals),
        (safety.DANGEROUS_PROPERTY, info.dangerous_globals),
        (safety.ISSUES_PROPERTY, info.issues),
    )
    pairs += [(name, json.dumps(list(value))) for name, value in lists if value]
    pairs += [(f"mbom:checkpoint:{name}", value) for name, value in parsed_facts(info)]
    for key, value in sorted(info.metadata.items()):
        if isinstance(value, (str, int, float, bool)) and len(str(value)) <= 256:
            pairs.append((f"mbom:checkpoint:meta:{key}", value))
    return pairs
