"""Shared by the recovery tests: read a BOM's checkpoint chain and a journal's events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def bom_chain(bom: Path) -> list[dict[str, str]]:
    """Each formulation step's properties, in order (the recorder's checkpoint chain)."""
    from mbom.forensics.lineage import checkpoint_steps

    return checkpoint_steps(json.loads(bom.read_text()))


def bom_properties(bom: Path) -> dict[str, str]:
    document = json.loads(bom.read_text())
    return {p["name"]: p["value"] for p in document["metadata"].get("properties", [])}


def journal_events(journal: Path) -> list[tuple[int, dict[str, Any]]]:
    """(index, event) of every journal event (checkpoint entries left out)."""
    events = []
    for line in journal.read_bytes().splitlines():
        entry = json.loads(line)
        if entry["kind"] == "event":
            events.append((entry["index"], entry["event"]))
    return events


def digest(props: dict[str, str]) -> str:
    return props.get("mbom:merkle-root:sha256") or props["mbom:checkpoint:sha256"]
