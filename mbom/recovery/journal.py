"""The run journal: what a training run did, one durable entry per event, in the forensics log.

Usage::

    from mbom.recovery.journal import JournalWriter, journal_path_for, read_run

    writer = JournalWriter(journal_path_for("out/bom.cdx.json"), run_dir="out", key=key)
    writer.start(run_id, parameters={...}, datasets=[...], configs=[...], bom="bom.cdx.json")
    writer.checkpoint(tree, step=3, metrics={"loss": 0.2}, parent=previous)
    run = read_run("out/bom.journal.jsonl", public_keys=[pub])   # verified, the last run

The journal is a :mod:`mbom.forensics.log` (hash-chained JSON Lines, one ``write`` and one
``fsync`` per append, signed tree heads). Each event is an object with ``journal`` =
:data:`JOURNAL_TYPE` and ``action`` one of ``run-start``, ``checkpoint``, ``recovery``,
``finish``; with a key, every checkpoint event is sealed by a signed tree head written in the
same ``write``. Paths are POSIX and relative to the run directory. Format: docs/recovery.md.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mbom.errors import InputError

JOURNAL_TYPE = "https://mbom.dev/run-journal/v1"
ACTIONS = ("run-start", "checkpoint", "recovery", "finish")
JOURNAL_SUFFIX = ".journal.jsonl"


def journal_path_for(bom: str | os.PathLike[str]) -> Path:
    """The default journal beside a BOM: ``out/bom.cdx.json`` -> ``out/bom.journal.jsonl``."""
    from mbom.generate import manifest_stem_for

    target = Path(bom)
    return target.parent / f"{manifest_stem_for(target)}{JOURNAL_SUFFIX}"


@dataclass(frozen=True, slots=True)
class JournalCheckpoint:
    """One checkpoint event as the journal records it (``entry``: its log index)."""

    entry: int
    step: int | None
    path: str
    digest: str
    is_file: bool
    files: tuple[tuple[str, int, str], ...]  # (path, size, sha256), sorted by path
    metrics: Mapping[str, Any]
    parent: str | None
    parent_entry: int | None


@dataclass(frozen=True, slots=True)
class JournalRun:
    """The last run of a verified journal: its start, checkpoints and recoveries, in order."""

    run_id: str
    start: Mapping[str, Any]
    checkpoints: tuple[JournalCheckpoint, ...]
    recoveries: tuple[Mapping[str, Any], ...]
    finished: bool
    malformed: tuple[tuple[int, str], ...]  # (entry, why) of this run's unusable events


class JournalWriter:
    """Appends a run's events to its journal (each durable before the call returns)."""

    def __init__(
        self, path: str | os.PathLike[str], *, run_dir: str | os.PathLike[str], key: Any = None
    ) -> None:
        self.path = Path(path)
        self.run_dir = Path(run_dir)
        self.key = key
        self.run_id: str | None = None
        self._started = time.monotonic()
        self._cursor: Any = None  # mbom.forensics.log.LogCursor, made on the first append

    def start(self, run_id: str, **facts: Any) -> int:
        """Write the ``run-start`` event (config, datasets, configs, BOM path...)."""
        self.run_id = run_id
        created = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        index = self._append("run-start", facts, seal=True)
        if created:
            _fsync_directory(self.path.parent)  # the new journal's name is durable too
        return index

    def resume(self, run_id: str, **facts: Any) -> int:
        """Continue ``run_id`` and write its ``recovery`` event."""
        self.run_id = run_id
        return self._append("recovery", facts, seal=True)

    def checkpoint(
        self,
        tree: Any,
        *,
        location: str,
        step: int | None,
        metrics: Mapping[str, Any],
        parent: JournalCheckpoint | None,
    ) -> JournalCheckpoint:
        """Journal a hashed checkpoint (``tree``: its :class:`TreeDigest`); returns it."""
        digest = tree.root() if tree.is_directory else tree.files[0].digests["sha256"]
        files = tuple(
            (item.path if tree.is_directory else "", item.size, item.digests["sha256"])
            for item in tree.files
        )
        facts = {
            "step": step,
            "path": self.relative(location),
            "kind": "directory" if tree.is_directory else "file",
            "digest": digest,
            "files": [{"path": p, "size": s, "sha256": d} for p, s, d in files],
            "metrics": dict(metrics),
            "parent": None if parent is None else parent.digest,
            "parentEntry": None if parent is None else parent.entry,
        }
        index = self._append("checkpoint", facts, seal=True)
        return checkpoint_from_event(index, {"action": "checkpoint", **facts})

    def finish(self, **facts: Any) -> int:
        return self._append("finish", facts, seal=True)

    def relative(self, location: str) -> str:
        """``location`` relative to the run directory (POSIX); as given when outside it."""
        from mbom.hashing._location import is_remote

        if is_remote(location):
            return location
        try:
            inside = Path(os.path.abspath(location)).relative_to(os.path.abspath(self.run_dir))
        except ValueError:
            return Path(os.path.abspath(location)).as_posix()  # recover never follows it
        return inside.as_posix() or "."

    def _append(self, action: str, facts: Mapping[str, Any], *, seal: bool) -> int:
        from mbom.forensics.log import LogCursor, append_event

        assert self.run_id is not None
        if self._cursor is None:
            self._cursor = LogCursor()
        event = {
            "journal": JOURNAL_TYPE,
            "action": action,
            "run": self.run_id,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "wallTime": round(time.monotonic() - self._started, 6),
            **facts,
        }
        return append_event(self.path, event, key=self.key, seal=seal, cursor=self._cursor).index


def read_run(entries: Sequence[Any]) -> JournalRun | None:
    """The last run among verified log ``entries`` (:class:`LogEntry`), or None if none."""
    events = [
        (e.index, e.event)
        for e in entries
        if e.kind == "event" and e.event.get("journal") == JOURNAL_TYPE
    ]
    starts = [i for i, (_, event) in enumerate(events) if event.get("action") == "run-start"]
    if not starts:
        return None
    start_at = starts[-1]
    start = events[start_at][1]
    run_id = start.get("run")
    checkpoints: list[JournalCheckpoint] = []
    recoveries: list[Mapping[str, Any]] = []
    malformed: list[tuple[int, str]] = []
    finished = False
    for index, event in events[start_at + 1 :]:
        if event.get("run") != run_id:
            malformed.append((index, f"belongs to run {event.get('run')!r}, not {run_id!r}"))
        elif event.get("action") == "checkpoint":
            try:
                checkpoints.append(checkpoint_from_event(index, event))
            except (KeyError, TypeError, ValueError) as exc:
                malformed.append((index, f"malformed checkpoint event ({exc})"))
        elif event.get("action") == "recovery":
            recoveries.append({"entry": index, **event})
        elif event.get("action") == "finish":
            finished = True
    return JournalRun(
        str(run_id), start, tuple(checkpoints), tuple(recoveries), finished, tuple(malformed)
    )


def checkpoint_from_event(index: int, event: Mapping[str, Any]) -> JournalCheckpoint:
    """A checkpoint event's fields, type-checked (``ValueError`` when one is wrong)."""
    step, parent_entry = event["step"], event["parentEntry"]
    if not (step is None or type(step) is int) or not (
        parent_entry is None or type(parent_entry) is int
    ):
        raise ValueError("step and parentEntry must be integers or null")
    if event["kind"] not in ("directory", "file") or not isinstance(event["path"], str):
        raise ValueError("kind must be directory or file and path a string")
    files = tuple(
        (str(item["path"]), int(item["size"]), str(item["sha256"])) for item in event["files"]
    )
    return JournalCheckpoint(
        entry=index,
        step=step,
        path=event["path"],
        digest=str(event["digest"]),
        is_file=event["kind"] == "file",
        files=files,
        metrics=dict(event["metrics"]),
        parent=event["parent"],
        parent_entry=parent_entry,
    )


def _fsync_directory(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror}", path=str(path)) from None
    try:
        os.fsync(fd)
    except OSError:  # some filesystems cannot fsync a directory: the entry fsync still holds
        pass
    finally:
        os.close(fd)
