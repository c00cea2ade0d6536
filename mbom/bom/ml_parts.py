"""The CycloneDX 1.6/1.7 parts cyclonedx-python-lib does not model: modelCard, component
``data`` (componentData) and ``formulation``.

cyclonedx-python-lib 11 has TODOs for these and silently drops them when reading a BOM, so
mbom writes them here, once, as typed values with ``to_json`` (the JSON object the schema
expects) and ``from_json`` (reading them back from any BOM, ours or a third party's). The
builder (:mod:`mbom.bom.build`) inserts them into the library's JSON output and validates
the whole document against the official schema before writing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

JsonObject = dict[str, Any]


def _prune(obj: JsonObject) -> JsonObject:
    """Drop empty values: the schema forbids empty strings in places and empty arrays read badly."""
    return {key: value for key, value in obj.items() if value not in (None, "", [], {}, ())}


@dataclass(frozen=True, slots=True)
class Prop:
    """A CycloneDX property (name/value pair)."""

    name: str
    value: str

    def to_json(self) -> JsonObject:
        return {"name": self.name, "value": self.value}

    @staticmethod
    def from_json(obj: Mapping[str, Any]) -> Prop:
        return Prop(str(obj.get("name", "")), str(obj.get("value", "")))


def props_json(props: tuple[Prop, ...]) -> list[JsonObject]:
    return [prop.to_json() for prop in props]


def props_from(obj: Mapping[str, Any]) -> tuple[Prop, ...]:
    return tuple(Prop.from_json(p) for p in obj.get("properties") or () if isinstance(p, Mapping))


# --------------------------------------------------------------------------- modelCard


@dataclass(frozen=True, slots=True)
class PerformanceMetric:
    """One evaluation result (modelCard.quantitativeAnalysis.performanceMetrics[])."""

    type: str
    value: str
    slice: str | None = None

    def to_json(self) -> JsonObject:
        return _prune({"type": self.type, "value": self.value, "slice": self.slice})

    @staticmethod
    def from_json(obj: Mapping[str, Any]) -> PerformanceMetric:
        return PerformanceMetric(
            str(obj.get("type", "")), str(obj.get("value", "")), obj.get("slice")
        )


@dataclass(frozen=True, slots=True)
class ModelCard:
    """The subset of CycloneDX modelCard mbom fills in; datasets are bom-refs to data components."""

    bom_ref: str
    task: str | None = None
    architecture_family: str | None = None
    model_architecture: str | None = None
    approach: str | None = None
    dataset_refs: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    metrics: tuple[PerformanceMetric, ...] = ()
    use_cases: tuple[str, ...] = ()
    technical_limitations: tuple[str, ...] = ()
    properties: tuple[Prop, ...] = ()

    def to_json(self) -> JsonObject:
        parameters = _prune(
            {
                "approach": {"type": self.approach} if self.approach else None,
                "task": self.task,
                "architectureFamily": self.architecture_family,
                "modelArchitecture": self.model_architecture,
                "datasets": [{"ref": ref} for ref in self.dataset_refs],
                "inputs": [{"format": fmt} for fmt in self.inputs],
                "outputs": [{"format": fmt} for fmt in self.outputs],
            }
        )
        analysis = _prune({"performanceMetrics": [m.to_json() for m in self.metrics]})
        considerations = _prune(
            {
                "useCases": list(self.use_cases),
                "technicalLimitations": list(self.technical_limitations),
            }
        )
        return _prune(
            {
                "bom-ref": self.bom_ref,
                "modelParameters": parameters,
                "quantitativeAnalysis": analysis,
                "considerations": considerations,
                "properties": props_json(self.properties),
            }
        )

    @staticmethod
    def from_json(obj: Mapping[str, Any]) -> ModelCard:
        parameters = obj.get("modelParameters") or {}
        analysis = obj.get("quantitativeAnalysis") or {}
        considerations = obj.get("considerations") or {}
        approach = parameters.get("approach") or {}
        return ModelCard(
            bom_ref=str(obj.get("bom-ref", "")),
            task=parameters.get("task"),
            architecture_family=parameters.get("architectureFamily"),
            model_architecture=parameters.get("modelArchitecture"),
            approach=approach.get("type") if isinstance(approach, Mapping) else None,
            dataset_refs=tuple(
                str(d["ref"])
                for d in parameters.get("datasets") or ()
                if isinstance(d, Mapping) and "ref" in d
            ),
            inputs=tuple(str(i.get("format")) for i in parameters.get("inputs") or ()),
            outputs=tuple(str(o.get("format")) for o in parameters.get("outputs") or ()),
            metrics=tuple(
                PerformanceMetric.from_json(m)
                for m in analysis.get("performanceMetrics") or ()
                if isinstance(m, Mapping)
            ),
            use_cases=tuple(map(str, considerations.get("useCases") or ())),
            technical_limitations=tuple(map(str, considerations.get("technicalLimitations") or ())),
            properties=props_from(obj),
        )


# ------------------------------------------------------------------------ componentData


@dataclass(frozen=True, slots=True)
class ComponentData:
    """One entry of a data component's ``data[]``: what the data is and where it lives."""

    bom_ref: str
    type: str  # source-code | configuration | dataset | definition | other
    name: str
    url: str | None = None
    description: str | None = None
    classification: str | None = None
    contents_properties: tuple[Prop, ...] = ()

    def to_json(self) -> JsonObject:
        contents = _prune({"url": self.url, "properties": props_json(self.contents_properties)})
        return _prune(
            {
                "bom-ref": self.bom_ref,
                "type": self.type,
                "name": self.name,
                "contents": contents,
                "classification": self.classification,
                "description": self.description,
            }
        )

    @staticmethod
    def from_json(obj: Mapping[str, Any]) -> ComponentData:
        contents = obj.get("contents") or {}
        return ComponentData(
            bom_ref=str(obj.get("bom-ref", "")),
            type=str(obj.get("type", "other")),
            name=str(obj.get("name", "")),
            url=contents.get("url"),
            description=obj.get("description"),
            classification=obj.get("classification"),
            contents_properties=props_from(contents),
        )


# -------------------------------------------------------------------------- formulation


@dataclass(frozen=True, slots=True)
class Parameter:
    """A workflow input parameter (a hyperparameter): name, JSON-encoded value, data type."""

    name: str
    value: str
    data_type: str

    def to_json(self) -> JsonObject:
        return {"name": self.name, "value": self.value, "dataType": self.data_type}


@dataclass(frozen=True, slots=True)
class Step:
    """One recorded step of a workflow (e.g. a saved checkpoint), with its properties."""

    name: str
    description: str | None = None
    properties: tuple[Prop, ...] = ()

    def to_json(self) -> JsonObject:
        return _prune(
            {
                "name": self.name,
                "description": self.description,
                "properties": props_json(self.properties),
            }
        )


@dataclass(frozen=True, slots=True)
class Workflow:
    """A formulation workflow: the training run that turned inputs into the model."""

    bom_ref: str
    uid: str
    name: str
    task_types: tuple[str, ...] = ("other",)
    description: str | None = None
    input_refs: tuple[str, ...] = ()
    resource_refs: tuple[str, ...] = ()
    """What the run used without consuming it: the environment's packages and image."""
    parameters: tuple[Parameter, ...] = ()
    output_refs: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()
    time_start: str | None = None
    time_end: str | None = None
    properties: tuple[Prop, ...] = ()

    def to_json(self) -> JsonObject:
        inputs: list[JsonObject] = [{"resource": {"ref": ref}} for ref in self.input_refs]
        if self.parameters:
            inputs.append({"parameters": [p.to_json() for p in self.parameters]})
        outputs = [{"type": "artifact", "resource": {"ref": ref}} for ref in self.output_refs]
        return _prune(
            {
                "bom-ref": self.bom_ref,
                "uid": self.uid,
                "name": self.name,
                "description": self.description,
                "resourceReferences": [{"ref": ref} for ref in self.resource_refs],
                "taskTypes": list(self.task_types),
                "steps": [step.to_json() for step in self.steps],
                "inputs": inputs,
                "outputs": outputs,
                "timeStart": self.time_start,
                "timeEnd": self.time_end,
                "properties": props_json(self.properties),
            }
        )


@dataclass(frozen=True, slots=True)
class Formula:
    """A formulation entry: the workflow plus the components (environment) it ran with.

    ``components`` are already-serialised component JSON objects. mbom itself no longer puts
    the environment here (it is top-level, referenced by the workflow) but reads BOMs that do.
    """

    bom_ref: str
    workflows: tuple[Workflow, ...]
    components: tuple[JsonObject, ...] = ()
    properties: tuple[Prop, ...] = ()

    def to_json(self) -> JsonObject:
        return _prune(
            {
                "bom-ref": self.bom_ref,
                "components": list(self.components),
                "workflows": [w.to_json() for w in self.workflows],
                "properties": props_json(self.properties),
            }
        )
