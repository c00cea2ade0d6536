"""A readable account of any BOM (ours or a third party's) for ``mbom inspect``.

Builds one JSON-ready dictionary: the generic CycloneDX summary (:mod:`mbom.bom.summary`)
plus what mbom records in properties (file roles, Merkle roots, checkpoint findings, dataset
sizes, hyperparameters, environment, git). Missing parts are simply absent, so third-party
BOMs describe as far as they go.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from mbom.bom.environment_components import recorded_environment
from mbom.bom.summary import summarize_bom
from mbom.errors import MalformedFileError


def _props(component: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(p.get("name")): str(p.get("value"))
        for p in component.get("properties") or ()
        if isinstance(p, Mapping)
    }


def _hashes(component: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(h.get("alg")): str(h.get("content"))
        for h in component.get("hashes") or ()
        if isinstance(h, Mapping)
    }


def _file(component: Mapping[str, Any]) -> dict[str, Any]:
    props = _props(component)
    result: dict[str, Any] = {"path": component.get("name"), "hashes": _hashes(component)}
    for key, name in (("size", "mbom:size"), ("role", "mbom:role"), ("symlink", "mbom:symlink")):
        if name in props:
            result[key] = (
                int(props[name]) if key == "size" and props[name].isdigit() else props[name]
            )
    checkpoint = {
        k.removeprefix("mbom:checkpoint:"): v
        for k, v in props.items()
        if k.startswith("mbom:checkpoint:")
    }
    if checkpoint:
        result["checkpoint"] = checkpoint
    return result


def _walk_components(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """metadata.component and every component, nested ones included, in document order."""
    found: list[Mapping[str, Any]] = []
    metadata = doc.get("metadata")
    stack = [metadata.get("component")] if isinstance(metadata, Mapping) else []
    stack += list(doc.get("components") or ())[::-1]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            found.append(item)
            stack.extend(list(item.get("components") or ())[::-1])
    return found


def _match(models: Any, raws: list[Mapping[str, Any]]) -> list[Mapping[str, Any] | None]:
    """The raw component behind each summarised model (by bom-ref, else by name)."""
    matched = []
    for model in models:
        ref, name = model.component.bom_ref, model.component.name
        raw = next((r for r in raws if ref and r.get("bom-ref") == ref), None)
        matched.append(raw or next((r for r in raws if r.get("name") == name), None))
    return matched


def describe(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Summarise a parsed BOM as a JSON-ready dictionary."""
    summary = summarize_bom(dict(doc))
    result: dict[str, Any] = {
        "specVersion": summary.spec_version,
        "serialNumber": summary.serial_number,
        "version": summary.version,
        "timestamp": summary.timestamp,
        "tools": [asdict(tool) for tool in summary.tools],
        "licenses": list(summary.licenses),
        "componentCounts": {kind: len(items) for kind, items in summary.by_type.items()},
        "dependencies": summary.dependencies_count,
        "hasFormulation": summary.has_formulation,
        "models": [],
        "datasets": [],
        "configs": [],
    }
    models = [c for c in _walk_components(doc) if c.get("type") == "machine-learning-model"]
    for model, raw in zip(summary.models, _match(summary.models, models)):
        entry = asdict(model)
        entry["ancestors"] = []
        if raw is not None:
            props = _props(raw)
            entry["properties"] = {k: v for k, v in props.items() if k.startswith("mbom:")}
            entry["files"] = [
                _file(c)
                for c in _with_files(doc, raw).get("components") or ()
                if isinstance(c, Mapping) and c.get("type") == "file"
            ]
            entry["ancestors"] = [
                {
                    "name": a.get("name"),
                    "version": a.get("version"),
                    "purl": a.get("purl"),
                    "properties": _props(a),
                }
                for a in (raw.get("pedigree") or {}).get("ancestors") or ()
                if isinstance(a, Mapping)
            ]
        result["models"].append(entry)
    for component in doc.get("components") or ():
        if not isinstance(component, Mapping) or component.get("type") != "data":
            continue
        props = _props(component)
        item = {
            "name": component.get("name"),
            "bom-ref": component.get("bom-ref"),
            "hashes": _hashes(component),
            "properties": {k: v for k, v in props.items() if k.startswith("mbom:")},
            "files": len(
                [
                    c
                    for c in component.get("components") or ()
                    if isinstance(c, Mapping) and c.get("type") == "file"
                ]
            ),
            "data": [d.get("type") for d in component.get("data") or () if isinstance(d, Mapping)],
        }
        (result["configs"] if "configuration" in item["data"] else result["datasets"]).append(item)
    formulation = doc.get("formulation") or ()
    for formula in formulation:
        if not isinstance(formula, Mapping):
            continue
        env = {k: v for k, v in _props(formula).items() if k.startswith("mbom:env:")}
        if env:
            result["environment"] = env
        result["packages"] = len(recorded_environment(doc))
        for workflow in formula.get("workflows") or ():
            if not isinstance(workflow, Mapping):
                continue
            parameters = {
                p.get("name"): p.get("value")
                for i in workflow.get("inputs") or ()
                if isinstance(i, Mapping)
                for p in i.get("parameters") or ()
                if isinstance(p, Mapping)
            }
            if parameters:
                result["hyperparameters"] = parameters
            git = {
                k.removeprefix("mbom:git:"): v
                for k, v in _props(workflow).items()
                if k.startswith("mbom:git:")
            }
            if git:
                result["git"] = git
            steps = [_props(s) for s in workflow.get("steps") or () if isinstance(s, Mapping)]
            if steps:
                result["checkpoints"] = steps
    return result


def _with_files(doc: Mapping[str, Any], raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """The BOM's own model with its files in either layout (:func:`model_component`)."""
    from mbom.bom.subjects import model_component

    metadata = doc.get("metadata")
    if isinstance(metadata, Mapping) and raw is metadata.get("component"):
        try:
            return model_component(doc)
        except MalformedFileError:
            return raw
    return raw
