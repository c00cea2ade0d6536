"""What ``mbom diff`` compares, read out of any CycloneDX BOM as flat ``key -> value`` maps.

Each function takes a parsed BOM (ours or a third party's: every field is optional) and
returns a dictionary keyed by what identifies an item across two BOMs (a file's path, a
dataset's name, a hyperparameter's name, a package's name), whose values are JSON-ready and
compared with ``==``. Nothing here raises on odd input; missing parts give empty maps.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mbom.bom.datasets import (
    BYTES_PROPERTY,
    FILES_PROPERTY,
    MANIFEST_DIGEST_PROPERTY,
    data_components,
    dataset_root,
    is_configuration,
    properties,
)
from mbom.errors import MalformedFileError


def _dicts(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, Mapping))


def _hashes(component: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(h.get("alg")): str(h.get("content", "")).lower()
        for h in _dicts(component.get("hashes"))
        if h.get("alg")
    }


def _compact(value: Mapping[str, Any]) -> dict[str, Any]:
    """Drop empty fields so absent and empty compare equal."""
    return {k: v for k, v in value.items() if v not in (None, "", {}, [])}


def model(bom: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The model component: ``metadata.component`` when it is one, else the first top-level."""
    from mbom.bom.subjects import model_component

    try:
        return model_component(bom)
    except MalformedFileError:
        return None


def model_identity(bom: Mapping[str, Any]) -> dict[str, Any]:
    """Name, version, Merkle root, whole-model hashes, file count and bytes."""
    component = model(bom)
    if component is None:
        return {}
    props = properties(component)
    found = {
        "name": component.get("name"),
        "group": component.get("group"),
        "version": component.get("version"),
        "purl": component.get("purl"),
        "merkle-root": props.get("mbom:merkle-root:sha256"),
        "files": props.get("mbom:model:files"),
        "bytes": props.get("mbom:model:bytes"),
        "parameters": props.get("mbom:model:parameters"),
    }
    found.update({f"hash:{alg}": digest for alg, digest in _hashes(component).items()})
    return _compact(found)


def _file_value(component: Mapping[str, Any]) -> dict[str, Any]:
    props = properties(component)
    size = props.get("mbom:size")
    return _compact(
        {
            "size": int(size) if size is not None and size.isdigit() else size,
            "hashes": _hashes(component),
            "symlink": props.get("mbom:symlink"),
        }
    )


def model_files(bom: Mapping[str, Any]) -> dict[str, Any]:
    """The model's nested ``file`` components by path: size and hashes."""
    component = model(bom)
    if component is None:
        return {}
    return {
        str(c.get("name")): _file_value(c)
        for c in _dicts(component.get("components"))
        if c.get("type") == "file"
    }


def model_card(bom: Mapping[str, Any]) -> dict[str, Any]:
    """Licence, task, approach, architecture, datasets named and metrics (``metric:TYPE@SLICE``)."""
    component = model(bom)
    if component is None:
        return {}
    card = component.get("modelCard")
    card = card if isinstance(card, Mapping) else {}
    params = card.get("modelParameters")
    params = params if isinstance(params, Mapping) else {}
    approach = params.get("approach")
    found: dict[str, Any] = {
        "licenses": ", ".join(sorted(_licences(component))),
        "task": params.get("task"),
        "approach": approach.get("type") if isinstance(approach, Mapping) else None,
        "architectureFamily": params.get("architectureFamily"),
        "modelArchitecture": params.get("modelArchitecture"),
        "datasets": ", ".join(
            sorted(str(d.get("ref") or d.get("name")) for d in _dicts(params.get("datasets")))
        ),
    }
    analysis = card.get("quantitativeAnalysis")
    metrics = analysis.get("performanceMetrics") if isinstance(analysis, Mapping) else None
    for metric in _dicts(metrics):
        key = f"metric:{metric.get('type')}" + (
            f"@{metric['slice']}" if metric.get("slice") else ""
        )
        found[key] = metric.get("value")
    return _compact(found)


def _licences(component: Mapping[str, Any]) -> list[str]:
    found = []
    for choice in _dicts(component.get("licenses")):
        licence = choice.get("license")
        licence = licence if isinstance(licence, Mapping) else {}
        text = choice.get("expression") or licence.get("id") or licence.get("name")
        if text:
            found.append(str(text))
    return found


def datasets(bom: Mapping[str, Any]) -> dict[str, Any]:
    """Datasets by name: Merkle root, file count, bytes, hashes, manifest digest."""
    found = {}
    for component in data_components(bom):
        props = properties(component)
        found[str(component.get("name"))] = _compact(
            {
                "root": dataset_root(component),
                "files": props.get(FILES_PROPERTY),
                "bytes": props.get(BYTES_PROPERTY),
                "hashes": _hashes(component),
                "version": component.get("version"),
                "manifest:sha256": props.get(MANIFEST_DIGEST_PROPERTY),
            }
        )
    return found


def configs(bom: Mapping[str, Any]) -> dict[str, Any]:
    """Training configurations (``data`` components of type configuration) by name: hashes."""
    return {
        str(c.get("name")): _compact({"hashes": _hashes(c), "version": c.get("version")})
        for c in _dicts(bom.get("components"))
        if c.get("type") == "data" and is_configuration(c)
    }


def _workflows(bom: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [w for f in _dicts(bom.get("formulation")) for w in _dicts(f.get("workflows"))]


def hyperparameters(bom: Mapping[str, Any]) -> dict[str, Any]:
    """Workflow input parameters by name (prefixed with the workflow's when there are several)."""
    workflows = _workflows(bom)
    found = {}
    for workflow in workflows:
        prefix = f"{workflow.get('name') or workflow.get('bom-ref')}:" if len(workflows) > 1 else ""
        for item in _dicts(workflow.get("inputs")):
            for parameter in _dicts(item.get("parameters")):
                found[f"{prefix}{parameter.get('name')}"] = parameter.get("value")
    return found


def lineage(bom: Mapping[str, Any]) -> dict[str, Any]:
    """Parents and base models (``pedigree.ancestors``) by name."""
    component = model(bom)
    if component is None:
        return {}
    pedigree = component.get("pedigree")
    ancestors = pedigree.get("ancestors") if isinstance(pedigree, Mapping) else None
    found = {}
    for ancestor in _dicts(ancestors):
        props = properties(ancestor)
        key = str(ancestor.get("name") or ancestor.get("purl") or ancestor.get("bom-ref"))
        found[key] = _compact(
            {
                "version": ancestor.get("version"),
                "purl": ancestor.get("purl"),
                "serialNumber": props.get("mbom:parent:serialNumber"),
                "merkle-root": props.get("mbom:merkle-root:sha256"),
                "source": props.get("mbom:lineage:source"),
                "hashes": _hashes(ancestor),
            }
        )
    return found


def packages(bom: Mapping[str, Any]) -> dict[str, Any]:
    """The training environment's packages (either layout, see
    :func:`mbom.bom.environment_components.recorded_environment`) by name: version."""
    from mbom.bom.environment_components import recorded_environment

    found = {}
    for component in recorded_environment(bom):
        if component.get("type") in ("library", "framework", None):
            group = component.get("group")
            name = f"{group}/{component.get('name')}" if group else str(component.get("name"))
            found[_package_key(name)] = component.get("version")
    return found


def _package_key(name: str) -> str:
    """PEP 503 form, so ``boolean.py`` (current layout) and ``boolean-py`` (older) match."""
    from mbom.capture.environment import normalise_package_name

    return normalise_package_name(name)


def environment(bom: Mapping[str, Any]) -> dict[str, Any]:
    """``mbom:env:*`` of the formulation and ``mbom:git:*`` of its workflows."""
    found: dict[str, Any] = {}
    for formula in _dicts(bom.get("formulation")):
        for name, value in properties(formula).items():
            if name.startswith("mbom:env:"):
                found[name.removeprefix("mbom:env:")] = value
    for workflow in _workflows(bom):
        for name, value in properties(workflow).items():
            if name.startswith("mbom:git:"):
                found[name.removeprefix("mbom:")] = value
    return found


def other_components(bom: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level components that are neither the model nor data, by ``type:group/name``."""
    from mbom.bom.environment_components import recorded_environment
    from mbom.bom.subjects import top_level_model_files

    main = model(bom)
    skip = [*top_level_model_files(bom), *recorded_environment(bom)]
    found = {}
    for component in _dicts(bom.get("components")):
        if component is main or component.get("type") == "data":
            continue
        if any(component is item for item in skip):
            continue
        group = component.get("group")
        name = f"{group}/{component.get('name')}" if group else str(component.get("name"))
        found[f"{component.get('type')}:{name}"] = _compact(
            {
                "version": component.get("version"),
                "purl": component.get("purl"),
                "hashes": _hashes(component),
                "licenses": ", ".join(sorted(_licences(component))),
            }
        )
    return found
