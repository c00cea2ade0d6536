"""The training recorder's journal: start or resume a run, journal checkpoints, seal the end.

Usage (inside :mod:`mbom.recorder`; users call ``mbom.record(..., resume="auto")``)::

    session = JournalSession.open("out/bom.journal.jsonl", run_dir="out", key=key)
    resumed = session.begin(facts, resume=True)   # None on a fresh start
    journaled = session.checkpoint(tree, location="out/ckpt-3", step=3, metrics={})
    session.bom_properties(complete=True); session.finish(bom_path)

Resuming: a torn tail left by a kill is cut (``repair_log``, which refuses anything that is
not an interrupted append) and recorded; :func:`mbom.recovery.recover` picks the newest
checkpoint that verifies (signatures checked with the journal key's public half); a journal
that does not verify, or checkpoints none of which verify, raise :class:`VerificationError`
with the reasons. Otherwise the run continues with the same run id, the chain up to the
resumed checkpoint, and a ``recovery`` event naming every checkpoint skipped and why.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from socket import gethostname
from typing import Any

from mbom.errors import VerificationError
from mbom.recovery.journal import JournalCheckpoint, JournalWriter
from mbom.recovery.pick import Recovery, Skipped, recover, resolve


@dataclass(frozen=True, slots=True)
class JournalOptions:
    """``record(journal=, run_dir=, journal_key=, resume=)``, resolved when the run starts."""

    path: Any  # True: beside the BOM; False: no journal; else its path
    run_dir: str | os.PathLike[str] | None
    key: Any
    resume: bool

    def open(self, output: Path, sign_keys: Any, passphrase: str | None) -> JournalSession | None:
        """The run's session, or None when ``journal=False``."""
        if self.path is False:
            return None
        from mbom.recovery.journal import journal_path_for

        path = journal_path_for(output) if self.path is True else Path(self.path)
        run_dir = os.fspath(self.run_dir) if self.run_dir is not None else str(path.parent)
        return JournalSession.open(path, run_dir=run_dir, key=self._key(sign_keys, passphrase))

    def _key(self, sign_keys: Any, passphrase: str | None) -> Any:
        from mbom.attest.keys import load_signing_key

        """``journal_key``, else the first signing key; None for keyless signing (the journal
        is then hash-chained but not signed)."""
        given = self.key if self.key is not None else sign_keys
        if given is not None and not _single_key(given):
            given = next(iter(given), None)  # several signing keys: the first
        if given is None or hasattr(given, "hint"):
            return given
        return load_signing_key(given, passphrase)


def _single_key(given: Any) -> bool:
    return isinstance(given, str | os.PathLike) or hasattr(given, "hint")


def start_facts(
    request: Any, output: Path, parameters: Mapping[str, Any], context: Any
) -> dict[str, Any]:
    """What the run-start event records: name, BOM, parameters, dataset and config roots
    (``request``: the GenerateRequest; ``context``: the captured BomInputs)."""
    return {
        "name": request.name,
        "version": request.version,
        "bom": output.as_posix(),
        "parameters": dict(parameters),
        "datasets": [
            {
                "name": item.name,
                "location": item.location,
                "merkleRoot": None if item.tree is None else item.tree.root(),
            }
            for item in context.datasets
        ],
        "configs": [
            {"path": item.digest.path, "sha256": item.digest.digests["sha256"]}
            for item in context.configs
        ],
    }


@dataclass(frozen=True, slots=True)
class Resumed:
    """The checkpoint a run resumed from (``run.resumed``), and what recover skipped."""

    step: int | None
    path: str
    digest: str
    entry: int
    skipped: tuple[Skipped, ...]


class JournalSession:
    """One process's share of a run's journal (see the module docstring)."""

    def __init__(self, writer: JournalWriter) -> None:
        self.writer = writer
        self.last: JournalCheckpoint | None = None
        self.recoveries: list[dict[str, Any]] = []
        self.chain: tuple[JournalCheckpoint, ...] = ()

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, run_dir: str, key: Any) -> JournalSession:
        return cls(JournalWriter(path, run_dir=run_dir, key=key))

    @property
    def run_id(self) -> str | None:
        return self.writer.run_id

    def begin(self, facts: Mapping[str, Any], *, resume: bool) -> Resumed | None:
        """Start a new run, or (``resume``) continue the journal's last one."""
        if not resume or not self.writer.path.exists():
            self.writer.start(uuid.uuid4().hex, **facts)
            return None
        return self._resume(facts)

    def chain_steps(self) -> tuple[Any, ...]:
        """The resumed chain as the recorder's CheckpointSteps (empty on a fresh start)."""
        return tuple(step_of(os.fspath(self.writer.run_dir), c) for c in self.chain)

    def checkpoint(
        self, tree: Any, *, location: str, step: int | None, metrics: Mapping[str, Any]
    ) -> JournalCheckpoint:
        self.last = self.writer.checkpoint(
            tree, location=location, step=step, metrics=metrics, parent=self.last
        )
        return self.last

    def finish(self, bom: Path) -> None:
        self.writer.finish(
            bom=self.writer.relative(os.fspath(bom)),
            sha256=hashlib.sha256(bom.read_bytes()).hexdigest(),
            checkpointEntry=None if self.last is None else self.last.entry,
        )

    def bom_properties(self, *, complete: bool) -> list[tuple[str, str]]:
        return run_properties(
            str(self.run_id), self.writer.path.as_posix(), self.recoveries, complete=complete
        )

    def _resume(self, facts: Mapping[str, Any]) -> Resumed | None:
        from mbom.forensics.log import repair_log

        cut = repair_log(self.writer.path)  # only an interrupted append is ever cut
        key = self.writer.key
        found = recover(
            os.fspath(self.writer.run_dir),
            journal=self.writer.path,
            keys=[key] if key is not None else [],
        )
        if found.problem is not None:
            raise VerificationError(
                f"resume='auto': {found.journal} does not verify: {found.problem}",
                path=found.journal,
                check="journal",
            )
        if found.run is None:  # an empty journal: the first run died before its start entry
            self.writer.start(uuid.uuid4().hex, **facts)
            return None
        if found.checkpoint is None and found.skipped:
            reasons = "; ".join(f"step {s.checkpoint.step}: {s.message}" for s in found.skipped)
            raise VerificationError(
                f"resume='auto': no checkpoint in {found.journal} verifies, refusing to "
                f"resume: {reasons}",
                path=found.journal,
                check="checkpoint",
            )
        self.recoveries = [recovery_summary(event) for event in found.run.recoveries]
        event = _recovery_event(found, cut.cut, facts)
        index = self.writer.resume(found.run.run_id, **event)
        self.recoveries.append(recovery_summary({"entry": index, "host": gethostname(), **event}))
        self.chain = found.chain
        if found.checkpoint is None:
            return None
        self.last = found.checkpoint
        return Resumed(
            found.checkpoint.step,
            resolve(found.run_dir, found.checkpoint.path),
            found.checkpoint.digest,
            found.checkpoint.entry,
            found.skipped,
        )


def run_properties(
    run_id: str, journal: str, recoveries: Sequence[Mapping[str, Any]], *, complete: bool
) -> list[tuple[str, str]]:
    """``mbom:run:*`` BOM properties: id, status, journal, and each recovery (JSON)."""
    pairs = [
        ("mbom:run:id", run_id),
        ("mbom:run:status", "complete" if complete else "incomplete"),
        ("mbom:run:journal", journal),
        ("mbom:run:recoveries", str(len(recoveries))),
    ]
    pairs += [
        (f"mbom:run:recovery:{n}", json.dumps(summary, sort_keys=True))
        for n, summary in enumerate(recoveries, 1)
    ]
    return pairs


def step_of(run_dir: str, journaled: JournalCheckpoint) -> Any:
    """A chain step (:class:`mbom.bom.build.CheckpointStep`) as the journal recorded it."""
    from mbom.bom.build import CheckpointStep

    return CheckpointStep(
        path=resolve(run_dir, journaled.path),
        step=journaled.step,
        merkle_root=journaled.digest,
        metrics=dict(journaled.metrics),
        parent_root=journaled.parent,
        is_file=journaled.is_file,
    )


def recovery_summary(event: Mapping[str, Any]) -> dict[str, Any]:
    """What the BOM and the audit report say about one recovery event."""
    resumed = event.get("resumedFrom") or {}
    return {
        "entry": event.get("entry"),
        "host": event.get("host"),
        "resumedFromStep": resumed.get("step"),
        "resumedFromPath": resumed.get("path"),
        "skipped": [
            {k: item.get(k) for k in ("step", "path", "reason", "expected", "actual")}
            | {"files": [f.get("file") for f in item.get("files", [])]}
            for item in event.get("skipped", [])
        ],
        "tornTailBytes": (event.get("tornTail") or {}).get("bytes", 0),
    }


def _recovery_event(found: Recovery, cut: bytes, facts: Mapping[str, Any]) -> dict[str, Any]:
    chosen = found.checkpoint
    return {
        "resumedFrom": None
        if chosen is None
        else {
            "entry": chosen.entry,
            "step": chosen.step,
            "path": chosen.path,
            "digest": chosen.digest,
        },
        "skipped": [item.to_json() for item in found.skipped],
        "tornTail": {"bytes": len(cut), "sha256": hashlib.sha256(cut).hexdigest()} if cut else None,
        "parameters": facts.get("parameters", {}),
    }
