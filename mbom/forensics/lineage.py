"""Lineage: follow a model's parents into a graph of models, datasets and checkpoints.

Usage::

    from mbom.forensics.lineage import build_lineage
    from mbom.verify.trust import load_trust

    graph = build_lineage(
        ["quantized.cdx.json.sigstore.json"],
        search=["releases/"],                         # bundles and BOMs found by serial number
        trust=load_trust(keys=["release.pub"]),       # the same trust as mbom verify
    )
    graph.exit_code          # 0 every bundle verified, no parent missing; 1 broken; 3 no trust
    graph.to_json()          # rendered by mbom.forensics.lineage_render

A parent is an ancestor recorded by ``mbom generate --parent`` (``mbom:parent:serialNumber``).
It is looked for at its recorded ``mbom:parent:location`` (relative to the child BOM's folder,
then as given, and the bundle beside a BOM file), then among the BOMs and bundles under the
search folders and the extra candidate files, by serial number; a bundle is preferred to a
bare BOM. Every bundle is verified like a parent in ``mbom verify --parent``
(:func:`mbom.verify.lineage.judge_parent`): signature and trust, an MBOM statement whose
subjects are the BOM's files, the serial number and model Merkle root the child recorded.
A failing node's own parents are still followed (from its unverified BOM), so the graph shows
how far the damage reaches. Base models named only by a model card are ``external`` nodes;
datasets and the recorder's checkpoints are ``recorded`` facts of the BOM that names them.
See docs/forensics.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mbom.bom.datasets import properties
from mbom.errors import MbomError
from mbom.forensics._parent_files import BomSource, ParentIndex, resolve

MODEL, BASE_MODEL, DATASET, CHECKPOINT = "model", "base-model", "dataset", "checkpoint"
DERIVED_FROM, TRAINED_ON, CHECKPOINT_OF = "derived-from", "trained-on", "checkpoint-of"
VERIFIED, FAILED, UNVERIFIED = "verified", "failed", "unverified"
UNSIGNED, MISSING, EXTERNAL, RECORDED = "unsigned", "missing", "external", "recorded"
#: statuses that make a link of the lineage broken (exit 1)
BROKEN = (FAILED, MISSING)
LINEAGE_TYPE = "https://mbom.dev/lineage/v1"
MERKLE_PROPERTY = "mbom:merkle-root:sha256"


@dataclass(frozen=True, slots=True)
class Node:
    """One model, base model, dataset or checkpoint, and what could be established about it."""

    id: str
    kind: str
    label: str
    status: str
    reason: str | None = None
    digest: str | None = None  # SHA-256 Merkle root (model, dataset, checkpoint directory)
    serial_number: str | None = None
    version: str | None = None
    source: str | None = None  # the file the node was read from
    detail: str | None = None
    signers: tuple[Mapping[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"id": self.id, "kind": self.kind, "label": self.label}
        document["status"] = self.status
        for key, value in (
            ("reason", self.reason),
            ("digest", self.digest),
            ("serialNumber", self.serial_number),
            ("version", self.version),
            ("source", self.source),
            ("detail", self.detail),
        ):
            if value is not None:
                document[key] = value
        if self.signers:
            document["signers"] = [dict(signer) for signer in self.signers]
        return document


@dataclass(frozen=True, slots=True)
class Edge:
    """``source`` (the child, model or checkpoint) relates to ``target`` (parent, dataset...)."""

    source: str
    target: str
    relation: str

    def to_json(self) -> dict[str, str]:
        return {"source": self.source, "target": self.target, "relation": self.relation}


@dataclass(frozen=True, slots=True)
class LineageGraph:
    """The nodes in the order they were found, the edges between them, and link problems."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    roots: tuple[str, ...]
    problems: tuple[str, ...] = ()

    @property
    def broken(self) -> tuple[Node, ...]:
        return tuple(node for node in self.nodes if node.status in BROKEN)

    @property
    def exit_code(self) -> int:
        """0 all bundles verified and no parent missing; 1 a broken link; 3 trust missing."""
        if self.broken or self.problems:
            return 1
        return 3 if any(node.status == UNVERIFIED for node in self.nodes) else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "lineageType": LINEAGE_TYPE,
            "ok": self.exit_code == 0,
            "exitCode": self.exit_code,
            "roots": list(self.roots),
            "nodes": [node.to_json() for node in self.nodes],
            "edges": [edge.to_json() for edge in self.edges],
            "problems": list(self.problems),
        }


def build_lineage(
    paths: Sequence[str],
    *,
    search: Sequence[str] = (),
    candidates: Sequence[str] = (),
    trust: Any = None,
    max_depth: int | None = None,
) -> LineageGraph:
    """Read each BOM or bundle in ``paths`` and follow its parents (input errors raise)."""
    from mbom.verify.lineage import MAX_DEPTH
    from mbom.verify.trust import Trust

    builder = _Builder(
        ParentIndex.load(search, candidates), trust or Trust(), max_depth or MAX_DEPTH
    )
    roots = [builder.root(path) for path in paths]
    return LineageGraph(
        nodes=tuple(builder.nodes.values()),
        edges=tuple(builder.edges),
        roots=tuple(dict.fromkeys(roots)),
        problems=tuple(builder.problems),
    )


@dataclass(slots=True)
class _Builder:
    index: ParentIndex
    trust: Any
    max_depth: int
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def root(self, path: str) -> str:
        source = BomSource.read(path)
        node_id = source.serial or f"file:{path}"
        if node_id not in self.nodes:
            self._model(node_id, source, None, {}, role="model", trail=(node_id,))
        return node_id

    def _model(
        self,
        node_id: str,
        source: BomSource,
        expected: str | None,
        recorded: Mapping[str, str],
        *,
        role: str,
        trail: tuple[str, ...],
    ) -> None:
        from mbom.bom.subjects import model_component

        try:
            component = model_component(source.bom)
        except MbomError:
            component = {}
        label = _label(component.get("name") or source.path, component.get("version"))
        status, reason, signers = self._judge(label, source, expected, recorded, role, component)
        self.nodes[node_id] = Node(
            id=node_id,
            kind=MODEL,
            label=label,
            status=status,
            reason=reason,
            digest=properties(component).get(MERKLE_PROPERTY),
            serial_number=source.serial,
            version=str(component["version"]) if component.get("version") else None,
            source=source.path,
            signers=signers,
        )
        self._datasets(node_id, source.bom)
        self._checkpoints(node_id, source.bom)
        self._parents(node_id, component, source.path, trail)

    def _judge(
        self,
        label: str,
        source: BomSource,
        expected: str | None,
        recorded: Mapping[str, str],
        role: str,
        component: Mapping[str, Any],
    ) -> tuple[str, str | None, tuple[Mapping[str, str], ...]]:
        from mbom.verify.lineage import judge_parent
        from mbom.verify.signature import check_signature

        if source.document is None:
            wanted = recorded.get(MERKLE_PROPERTY)
            actual = properties(component).get(MERKLE_PROPERTY)
            if wanted and actual != wanted:
                return FAILED, f"model Merkle root {actual} differs from the recorded {wanted}", ()
            return UNSIGNED, "a BOM file, not a signed bundle: nothing to verify", ()
        outcome = check_signature(source.document, self.trust, bundle=source.path)
        check, _ = judge_parent(label, expected, recorded, source.path, outcome, role=role)
        if not check.failed:
            return VERIFIED, None, outcome.signers
        first = next((c for c in outcome.checks if c.failed), None)
        reason = f"{first.id}: {first.message}" if first else check.message.split(": ", 1)[-1]
        return (FAILED if check.evaluated else UNVERIFIED), reason, ()

    def _parents(
        self, child: str, component: Mapping[str, Any], where: str, trail: tuple[str, ...]
    ) -> None:
        pedigree = component.get("pedigree") or {}
        for ancestor in pedigree.get("ancestors") or ():
            if not isinstance(ancestor, Mapping):
                continue
            props = properties(ancestor)
            serial = props.get("mbom:parent:serialNumber")
            if serial is None:
                self._base_model(child, ancestor, props)
                continue
            self.edges.append(Edge(child, serial, DERIVED_FROM))
            name = _label(ancestor.get("name") or serial, ancestor.get("version"))
            if serial in trail:
                self.problems.append(f"lineage cycle: {name} ({serial}) is its own ancestor")
            elif serial in self.nodes:
                self._agrees(serial, name, props)
            elif len(trail) > self.max_depth:
                self.nodes[serial] = _unfollowed(
                    serial,
                    name,
                    props,
                    FAILED,
                    (f"not followed: lineage deeper than {self.max_depth} levels"),
                )
            else:
                self._parent(serial, name, props, where, trail)

    def _parent(
        self, serial: str, name: str, props: Mapping[str, str], where: str, trail: tuple[str, ...]
    ) -> None:
        source, looked = resolve(serial, props, where, self.index)
        if source is None:
            reason = "parent not found (looked at " + (", ".join(looked) or "no location") + ")"
            self.nodes[serial] = _unfollowed(serial, name, props, MISSING, reason)
            return
        self._model(serial, source, serial, props, role="parent", trail=(*trail, serial))

    def _agrees(self, serial: str, name: str, props: Mapping[str, str]) -> None:
        """A parent met again (a shared ancestor): the Merkle root recorded here must match."""
        wanted, node = props.get(MERKLE_PROPERTY), self.nodes[serial]
        if wanted and node.digest and node.status != MISSING and wanted != node.digest:
            self.problems.append(
                f"parent {name} ({serial}): recorded model Merkle root {wanted} differs from "
                f"its BOM's {node.digest}"
            )

    def _base_model(
        self, child: str, ancestor: Mapping[str, Any], props: Mapping[str, str]
    ) -> None:
        name = str(ancestor.get("name") or ancestor.get("purl") or "?")
        node_id = f"base:{ancestor.get('purl') or name}"
        source = props.get("mbom:lineage:source", "pedigree")
        self.nodes.setdefault(
            node_id,
            Node(
                id=node_id,
                kind=BASE_MODEL,
                label=_label(name, ancestor.get("version")),
                status=EXTERNAL,
                reason=f"named by {source}; no BOM to verify",
                version=str(ancestor["version"]) if ancestor.get("version") else None,
                detail=ancestor.get("purl"),
            ),
        )
        self.edges.append(Edge(child, node_id, DERIVED_FROM))

    def _datasets(self, model: str, bom: Mapping[str, Any]) -> None:
        from mbom.bom.datasets import data_components, dataset_root

        for component in data_components(bom):
            props = properties(component)
            name = str(component.get("name") or "?")
            root = dataset_root(component)
            location = props.get("mbom:dataset:location")
            node_id = f"dataset:{root or location or name}"
            if props.get("mbom:hashed") == "false":
                detail = f"by reference: {location or name}"
            else:
                detail = f"{props.get('mbom:dataset:files', '?')} files, "
                detail += f"{props.get('mbom:dataset:bytes', '?')} bytes"
            self.nodes.setdefault(
                node_id,
                Node(
                    id=node_id,
                    kind=DATASET,
                    label=name,
                    status=RECORDED,
                    reason="as the BOM records it (mbom verify --datasets re-hashes it)",
                    digest=root,
                    detail=detail,
                ),
            )
            self.edges.append(Edge(model, node_id, TRAINED_ON))

    def _checkpoints(self, model: str, bom: Mapping[str, Any]) -> None:
        for index, props in enumerate(checkpoint_steps(bom)):
            node_id = f"checkpoint:{model}:{index}"
            step = props.get("mbom:checkpoint:step", "?")
            metrics = ", ".join(
                f"{k.removeprefix('mbom:metric:')} {v}"
                for k, v in sorted(props.items())
                if k.startswith("mbom:metric:")
            )
            best = " (best)" if props.get("mbom:checkpoint:best") == "true" else ""
            self.nodes[node_id] = Node(
                id=node_id,
                kind=CHECKPOINT,
                label=f"step {step}: {props.get('mbom:checkpoint:path', '?')}{best}",
                status=RECORDED,
                reason="as the training recorder recorded it",
                digest=props.get(MERKLE_PROPERTY) or props.get("mbom:checkpoint:sha256"),
                detail=metrics or None,
            )
            self.edges.append(Edge(node_id, model, CHECKPOINT_OF))


def checkpoint_steps(bom: Mapping[str, Any]) -> list[dict[str, str]]:
    """Properties of each formulation workflow step the training recorder wrote."""
    steps = []
    for formula in bom.get("formulation") or ():
        for workflow in (formula.get("workflows") or ()) if isinstance(formula, Mapping) else ():
            for step in (workflow.get("steps") or ()) if isinstance(workflow, Mapping) else ():
                props = properties(step) if isinstance(step, Mapping) else {}
                if any(name.startswith("mbom:checkpoint:") for name in props):
                    steps.append(props)
    return steps


def _unfollowed(serial: str, name: str, props: Mapping[str, str], status: str, reason: str) -> Node:
    return Node(
        id=serial,
        kind=MODEL,
        label=name,
        status=status,
        reason=reason,
        digest=props.get(MERKLE_PROPERTY),
        serial_number=serial,
        source=props.get("mbom:parent:location"),
    )


def _label(name: Any, version: Any) -> str:
    return f"{name} {version}" if version else str(name)
