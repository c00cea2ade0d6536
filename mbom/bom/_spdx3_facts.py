"""Facts an SPDX export reads from a CycloneDX BOM, as plain values (no SPDX objects).

Usage::

    from mbom.bom._spdx3_facts import hyperparameters, energy_figures
    hyperparameters(bom)          # [("optimizer.lr", "0.001"), ...]

Kept apart from :mod:`mbom.bom.spdx3`, which turns them into SPDX elements, so each stays
small; both read either BOM layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

#: Card task categories (prefix) -> SPDX dataset types.
DATASET_TYPES = (
    ("text", "text"),
    ("token", "text"),
    ("translation", "text"),
    ("summarization", "text"),
    ("question", "text"),
    ("image", "image"),
    ("object", "image"),
    ("audio", "audio"),
    ("automatic-speech", "audio"),
    ("video", "video"),
    ("tabular", "structured"),
    ("time-series", "timeseries"),
    ("graph", "graph"),
)


def props(component: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(p.get("name")): str(p.get("value"))
        for p in component.get("properties") or ()
        if isinstance(p, Mapping)
    }


def dicts(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, (list, tuple)):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def timestamp(text: Any) -> datetime:
    """The BOM's timestamp in UTC whole seconds (SPDX wants ``...Z``); epoch when absent."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return datetime.fromtimestamp(0, tz=timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def hyperparameters(bom: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every workflow input parameter (name, JSON-encoded value), in document order."""
    found = []
    for formula in dicts(bom.get("formulation")):
        for workflow in dicts(formula.get("workflows")):
            for item in dicts(workflow.get("inputs")):
                for parameter in dicts(item.get("parameters")):
                    if parameter.get("name"):
                        found.append((str(parameter["name"]), str(parameter.get("value", ""))))
    return found


def training_information(bom: Mapping[str, Any]) -> str:
    """The run's environment, git state and recorded steps, one fact a line."""
    facts = []
    for formula in dicts(bom.get("formulation")):
        facts += [f"{k.removeprefix('mbom:')}: {v}" for k, v in sorted(props(formula).items())]
        for workflow in dicts(formula.get("workflows")):
            facts += [f"{k.removeprefix('mbom:')}: {v}" for k, v in sorted(props(workflow).items())]
            facts += [str(step.get("name")) for step in dicts(workflow.get("steps"))]
    return "\n".join(facts)


#: CycloneDX energy activities -> SPDX AI energy phases.
ENERGY_PHASES = {"training": "training", "fine-tuning": "finetuning", "inference": "inference"}


def energy_figures(card: Any) -> list[tuple[str, float, str]]:
    """(phase, quantity, unit) from ``considerations.environmentalConsiderations
    .energyConsumptions``; phase as in :data:`ENERGY_PHASES`, unit ``kWh`` or other text."""
    considerations = card.get("considerations") if isinstance(card, Mapping) else None
    environmental = (
        considerations.get("environmentalConsiderations")
        if isinstance(considerations, Mapping)
        else None
    )
    consumptions = (
        dicts(environmental.get("energyConsumptions")) if isinstance(environmental, Mapping) else []
    )
    found = []
    for item in consumptions:
        cost = item.get("activityEnergyCost")
        phase = ENERGY_PHASES.get(str(item.get("activity", "")))
        if phase is None or not isinstance(cost, Mapping):
            continue
        value = cost.get("value")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            found.append((phase, float(value), str(cost.get("unit", ""))))
    return found


def licence_text(item: Mapping[str, Any]) -> str:
    """A CycloneDX licence choice as text: its expression, SPDX id or name."""
    if item.get("expression"):
        return str(item["expression"])
    choice = item.get("license")
    return str(choice.get("id") or choice.get("name") or "") if isinstance(choice, Mapping) else ""


def licence_ref(text: str) -> str:
    """An SPDX id stays; a free-text licence name becomes a ``LicenseRef-`` identifier."""
    from cyclonedx.spdx import fixup_id

    if fixup_id(text):
        return str(fixup_id(text))
    safe = "".join(c if c.isalnum() or c in ".-" else "-" for c in text).strip("-")
    return f"LicenseRef-{safe or 'unknown'}"


def dataset_types(categories: str) -> list[str]:
    kinds = []
    for category in filter(None, (c.strip().lower() for c in categories.split(","))):
        for prefix, kind in DATASET_TYPES:
            if category.startswith(prefix) and kind not in kinds:
                kinds.append(kind)
    return kinds or ["noAssertion"]
