"""A small typed view of a CycloneDX BOM, for ``inspect``, ``diff`` and reports.

Works on any parsed CycloneDX JSON (1.2 to 1.7, schema-valid or not): every field is optional in
practice, so each accessor checks types and falls back to ``None`` or an empty tuple instead of
raising. Only what people ask of an ML-BOM is extracted; the raw document stays available.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MODEL_TYPE = "machine-learning-model"
DATA_TYPE = "data"


@dataclass(frozen=True, slots=True)
class HashValue:
    alg: str
    content: str


@dataclass(frozen=True, slots=True)
class ComponentSummary:
    type: str | None
    name: str | None
    version: str | None
    group: str | None = None
    bom_ref: str | None = None
    purl: str | None = None
    hashes: tuple[HashValue, ...] = ()
    licenses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ToolSummary:
    name: str | None
    version: str | None
    vendor: str | None = None


@dataclass(frozen=True, slots=True)
class DataEntry:
    """A dataset as a model card or a data component lists it: by ``ref`` or described inline."""

    ref: str | None = None
    name: str | None = None
    type: str | None = None
    url: str | None = None
    classification: str | None = None


@dataclass(frozen=True, slots=True)
class Metric:
    type: str | None
    value: str | None
    slice: str | None = None


@dataclass(frozen=True, slots=True)
class ModelSummary:
    component: ComponentSummary
    has_model_card: bool = False
    task: str | None = None
    approach: str | None = None
    architecture_family: str | None = None
    model_architecture: str | None = None
    datasets: tuple[DataEntry, ...] = ()
    metrics: tuple[Metric, ...] = ()
    ancestors: tuple[str, ...] = ()  # pedigree.ancestors as "name@version" (base models)


@dataclass(frozen=True, slots=True)
class DataSummary:
    component: ComponentSummary
    entries: tuple[DataEntry, ...] = ()
    properties: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class BomSummary:
    spec_version: str | None
    serial_number: str | None
    version: int | None
    timestamp: str | None
    subject: ComponentSummary | None  # metadata.component: what the BOM describes
    tools: tuple[ToolSummary, ...]
    components: tuple[ComponentSummary, ...]  # every component, nested ones included
    models: tuple[ModelSummary, ...]
    data: tuple[DataSummary, ...]
    has_formulation: bool
    dependencies_count: int
    licenses: tuple[str, ...]  # every distinct licence id, name or expression, sorted

    @property
    def by_type(self) -> dict[str, tuple[ComponentSummary, ...]]:
        """Components grouped by their ``type`` (``"?"`` when missing), in document order."""
        groups: dict[str, list[ComponentSummary]] = {}
        for comp in self.components:
            groups.setdefault(comp.type or "?", []).append(comp)
        return {kind: tuple(comps) for kind, comps in groups.items()}


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (v for v in value if isinstance(v, dict))


def _licenses(choices: Any) -> tuple[str, ...]:
    found = []
    for choice in _dicts(choices):
        lic = _dict(choice.get("license"))
        text = _text(choice.get("expression")) or _text(lic.get("id")) or _text(lic.get("name"))
        if text:
            found.append(text)
    return tuple(found)


def _component(raw: dict[str, Any]) -> ComponentSummary:
    hashes = tuple(
        HashValue(h["alg"], h["content"])
        for h in _dicts(raw.get("hashes"))
        if isinstance(h.get("alg"), str) and isinstance(h.get("content"), str)
    )
    return ComponentSummary(
        type=_text(raw.get("type")),
        name=_text(raw.get("name")),
        version=_text(raw.get("version")),
        group=_text(raw.get("group")),
        bom_ref=_text(raw.get("bom-ref")),
        purl=_text(raw.get("purl")),
        hashes=hashes,
        licenses=_licenses(raw.get("licenses")),
    )


def _all_components(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every component dict, depth first in document order (nested ``components`` included)."""
    out: list[dict[str, Any]] = []
    stack = list(reversed(list(_dicts(doc.get("components")))))
    while stack:
        raw = stack.pop()
        out.append(raw)
        stack.extend(reversed(list(_dicts(raw.get("components")))))
    return out


def _tools(metadata: dict[str, Any]) -> tuple[ToolSummary, ...]:
    tools = metadata.get("tools")
    if isinstance(tools, dict):  # 1.5+: {"components": [...], "services": [...]}
        raws = [*_dicts(tools.get("components")), *_dicts(tools.get("services"))]
    else:  # 1.2-1.4 (deprecated later): [{"vendor", "name", "version"}]
        raws = list(_dicts(tools))
    return tuple(
        ToolSummary(
            name=_text(t.get("name")),
            version=_text(t.get("version")),
            vendor=_text(t.get("vendor"))
            or _text(t.get("publisher"))
            or _text(_dict(t.get("manufacturer")).get("name"))
            or _text(_dict(t.get("provider")).get("name"))
            or _text(t.get("author")),
        )
        for t in raws
    )


def _data_entry(raw: dict[str, Any]) -> DataEntry:
    return DataEntry(
        ref=_text(raw.get("ref")),
        name=_text(raw.get("name")),
        type=_text(raw.get("type")),
        url=_text(_dict(raw.get("contents")).get("url")),
        classification=_text(raw.get("classification")),
    )


def _model(raw: dict[str, Any]) -> ModelSummary:
    card = raw.get("modelCard")
    params = _dict(_dict(card).get("modelParameters"))
    metrics = tuple(
        Metric(_text(m.get("type")), _text(m.get("value")), _text(m.get("slice")))
        for m in _dicts(_dict(_dict(card).get("quantitativeAnalysis")).get("performanceMetrics"))
    )
    ancestors = tuple(
        "@".join(p for p in (_text(a.get("name")), _text(a.get("version"))) if p)
        for a in _dicts(_dict(raw.get("pedigree")).get("ancestors"))
    )
    return ModelSummary(
        component=_component(raw),
        has_model_card=isinstance(card, dict),
        task=_text(params.get("task")),
        approach=_text(_dict(params.get("approach")).get("type")),
        architecture_family=_text(params.get("architectureFamily")),
        model_architecture=_text(params.get("modelArchitecture")),
        datasets=tuple(_data_entry(d) for d in _dicts(params.get("datasets"))),
        metrics=metrics,
        ancestors=ancestors,
    )


def _data(raw: dict[str, Any]) -> DataSummary:
    props = tuple(
        (p["name"], _text(p.get("value")) or "")
        for p in _dicts(raw.get("properties"))
        if isinstance(p.get("name"), str)
    )
    return DataSummary(
        component=_component(raw),
        entries=tuple(_data_entry(d) for d in _dicts(raw.get("data"))),
        properties=props,
    )


def summarize_bom(doc: dict[str, Any]) -> BomSummary:
    """Extract a :class:`BomSummary` from a parsed CycloneDX JSON document; never raises on
    missing or oddly typed fields."""
    metadata = _dict(doc.get("metadata"))
    subject_raw = metadata.get("component")
    raws = _all_components(doc)
    described = [subject_raw, *raws] if isinstance(subject_raw, dict) else raws
    licenses = {lic for raw in described for lic in _licenses(raw.get("licenses"))}
    licenses.update(_licenses(metadata.get("licenses")))
    version = doc.get("version")
    return BomSummary(
        spec_version=_text(doc.get("specVersion")),
        serial_number=_text(doc.get("serialNumber")),
        version=version if isinstance(version, int) and not isinstance(version, bool) else None,
        timestamp=_text(metadata.get("timestamp")),
        subject=_component(subject_raw) if isinstance(subject_raw, dict) else None,
        tools=_tools(metadata),
        components=tuple(_component(raw) for raw in raws),
        models=tuple(_model(raw) for raw in described if raw.get("type") == MODEL_TYPE),
        data=tuple(_data(raw) for raw in described if raw.get("type") == DATA_TYPE),
        has_formulation=bool(doc.get("formulation")),
        dependencies_count=sum(1 for _ in _dicts(doc.get("dependencies"))),
        licenses=tuple(sorted(licenses)),
    )
