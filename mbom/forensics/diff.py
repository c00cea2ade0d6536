"""``mbom diff``: what changed between two BOMs (or the BOMs inside two signed bundles).

Usage::

    from mbom.forensics.diff import diff_paths

    result = diff_paths("v1/bom.cdx.json", "v2/bom.cdx.json.sigstore.json")
    result.equal                 # False when anything below differs
    result.to_json()             # schemas/diff.schema.json; rendered by mbom.forensics.diff_render

Compared, by identity: model files by path (size and digests), the model's identity (name,
version, Merkle root), model-card fields (licence, task, architecture, metrics), datasets by
name (Merkle root, file count, bytes) and, when a root differs and both BOMs list the files
(nested components or the sidecar manifest beside the BOM), the files that differ; configs by
name (digest), hyperparameters key by key, parents and base models, environment packages
(added / removed / version changed), environment and git facts, other top-level components,
and signers when both sides are bundles. Serial numbers and timestamps are reported, never
counted as differences: two runs over the same inputs are equal.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mbom.forensics import _view

DIFF_TYPE = "https://mbom.dev/diff/v1"

#: Categories in report order, with the function that reads each out of a BOM.
EXTRACTORS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "model": _view.model_identity,
    "model-file": _view.model_files,
    "model-card": _view.model_card,
    "dataset": _view.datasets,
    "config": _view.configs,
    "hyperparameter": _view.hyperparameters,
    "lineage": _view.lineage,
    "package": _view.packages,
    "environment": _view.environment,
    "component": _view.other_components,
}
#: Every category, in report order.
CATEGORIES = (
    "model",
    "model-file",
    "model-card",
    "dataset",
    "dataset-file",
    "config",
    "hyperparameter",
    "lineage",
    "package",
    "environment",
    "component",
    "signer",
)
_ORDER = {name: position for position, name in enumerate(CATEGORIES)}


@dataclass(frozen=True, slots=True)
class Change:
    """One difference: ``before`` is A's value, ``after`` B's (``None`` when absent)."""

    category: str
    change: str  # added | removed | changed
    key: str
    before: Any = None
    after: Any = None
    dataset: str | None = None  # for dataset-file changes

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"category": self.category, "change": self.change}
        if self.dataset is not None:
            document["dataset"] = self.dataset
        document["key"] = self.key
        if self.before is not None:
            document["before"] = self.before
        if self.after is not None:
            document["after"] = self.after
        return document

    def sort_key(self) -> tuple[int, str, str, str]:
        return (_ORDER[self.category], self.dataset or "", self.key, self.change)


@dataclass(frozen=True, slots=True)
class Side:
    """One of the two documents compared."""

    path: str
    kind: str  # bom | bundle
    serial_number: str | None
    version: Any
    spec_version: str | None
    timestamp: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "serialNumber": self.serial_number,
            "version": self.version,
            "specVersion": self.spec_version,
            "timestamp": self.timestamp,
        }


@dataclass(frozen=True, slots=True)
class BomDiff:
    """The differences between A and B, sorted by category, then key."""

    a: Side
    b: Side
    changes: tuple[Change, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def equal(self) -> bool:
        return not self.changes

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.category] = counts.get(change.category, 0) + 1
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "diffType": DIFF_TYPE,
            "equal": self.equal,
            "a": self.a.to_json(),
            "b": self.b.to_json(),
            "summary": self.summary(),
            "changes": [change.to_json() for change in self.changes],
            "notes": list(self.notes),
        }


def compare(category: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """Changes between two ``key -> value`` maps of one category."""
    changes = []
    for key in sorted(set(before) | set(after)):
        if key not in after:
            changes.append(Change(category, "removed", key, before=before[key]))
        elif key not in before:
            changes.append(Change(category, "added", key, after=after[key]))
        elif before[key] != after[key]:
            changes.append(Change(category, "changed", key, before[key], after[key]))
    return changes


def diff_documents(
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    *,
    a_dir: str | None = None,
    b_dir: str | None = None,
) -> list[Change]:
    """Every difference between two parsed BOMs (sidecar manifests read from ``*_dir``)."""
    changes = []
    for category, extract in EXTRACTORS.items():
        changes += compare(category, extract(a), extract(b))
    for change in [c for c in changes if c.category == "dataset" and c.change == "changed"]:
        changes += _dataset_files(a, b, change.key, a_dir, b_dir)
    return changes


def diff_paths(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> BomDiff:
    """Load two BOMs or bundles (unverified) and compare them, signers included for bundles."""
    from mbom.bom.parents import bundle_signers, load_bom_or_bundle

    sides, documents, signers = [], [], []
    for location in (os.fspath(a), os.fspath(b)):
        document, from_bundle = load_bom_or_bundle(location)
        documents.append(document)
        sides.append(_side(location, document, from_bundle))
        signers.append(
            {_signer_key(s): s for s in bundle_signers(location)} if from_bundle else None
        )
    changes = diff_documents(
        documents[0],
        documents[1],
        a_dir=os.path.dirname(os.path.abspath(a)),
        b_dir=os.path.dirname(os.path.abspath(b)),
    )
    notes = []
    if signers[0] is not None and signers[1] is not None:
        changes += compare("signer", signers[0], signers[1])
    elif signers[0] is not None or signers[1] is not None:
        notes.append("signers not compared: only one side is a signed bundle")
    notes.append("signatures are not verified by diff; use mbom verify")
    changes.sort(key=Change.sort_key)
    return BomDiff(sides[0], sides[1], tuple(changes), tuple(notes))


def _side(location: str, document: Mapping[str, Any], from_bundle: bool) -> Side:
    metadata = document.get("metadata")
    timestamp = metadata.get("timestamp") if isinstance(metadata, Mapping) else None
    return Side(
        path=location,
        kind="bundle" if from_bundle else "bom",
        serial_number=document.get("serialNumber"),
        version=document.get("version"),
        spec_version=document.get("specVersion"),
        timestamp=timestamp,
    )


def _signer_key(signer: Mapping[str, str]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(signer.items()))


def _dataset_files(
    a: Mapping[str, Any], b: Mapping[str, Any], name: str, a_dir: str | None, b_dir: str | None
) -> list[Change]:
    """Per-file changes of a dataset whose root differs, when both sides list its files."""
    from mbom.bom.datasets import dataset_files, find_dataset

    listed: list[Sequence[Any]] = []
    for bom, folder in ((a, a_dir), (b, b_dir)):
        files = dataset_files(find_dataset(bom, name), bom_dir=folder)
        if files is None:
            return []
        listed.append(files)
    maps = [{f.path: _file_value(f) for f in files} for files in listed]
    return [
        Change("dataset-file", c.change, c.key, c.before, c.after, dataset=name)
        for c in compare("dataset-file", maps[0], maps[1])
    ]


def _file_value(entry: Any) -> dict[str, Any]:
    """A dataset file as diff shows it, shaped like a model file's value."""
    value: dict[str, Any] = {"size": entry.size, "hashes": {"SHA-256": entry.digest}}
    if entry.symlink:
        value["symlink"] = True
    return value
