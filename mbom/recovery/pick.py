"""Recover a run: the newest checkpoint whose bytes are what the journal says, and why not others.

Usage::

    from mbom.recovery import recover

    found = recover("out", keys=["release.pub"])   # journal: out/bom.journal.jsonl
    found.checkpoint.path, found.checkpoint.step    # None when nothing verifies
    for skipped in found.skipped:                    # newest first
        skipped.reason, skipped.files                # file, expected vs actual digest
    found.exit_code                                  # 0 found, 1 none verifies

The journal is verified first (hash chain; with keys, signed tree heads, and only sealed
entries count). Then the run's checkpoints are re-hashed newest to oldest, without the
cache and without loading anything, and the first whose Merkle root (or file SHA-256)
matches its entry, and whose chain of parents is all in the journal, is the one to resume
from. A torn tail (an interrupted append) is reported, never fatal. See docs/recovery.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mbom.errors import InputError, MbomError, TrustMaterialError
from mbom.recovery.journal import JOURNAL_SUFFIX, JournalCheckpoint, JournalRun, read_run

#: Why a checkpoint was skipped (the documented ``reason`` values).
REASONS = ("missing", "truncated", "altered", "unsealed", "outside", "chain", "unreadable")


@dataclass(frozen=True, slots=True)
class FileProblem:
    """One file of a checkpoint that is not as journaled (``actual`` None when missing)."""

    file: str
    problem: str  # missing | truncated | altered | added
    expected: str | None
    actual: str | None
    expected_size: int | None
    actual_size: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "problem": self.problem,
            "expected": self.expected,
            "actual": self.actual,
            "expectedSize": self.expected_size,
            "actualSize": self.actual_size,
        }


@dataclass(frozen=True, slots=True)
class Skipped:
    """A journaled checkpoint recover did not pick, and why."""

    checkpoint: JournalCheckpoint
    reason: str
    message: str
    actual: str | None = None  # the digest found, when re-hashed
    files: tuple[FileProblem, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "entry": self.checkpoint.entry,
            "step": self.checkpoint.step,
            "path": self.checkpoint.path,
            "reason": self.reason,
            "message": self.message,
            "expected": self.checkpoint.digest,
            "actual": self.actual,
            "files": [item.to_json() for item in self.files],
        }


@dataclass(frozen=True, slots=True)
class Recovery:
    """What recover found (see the module docstring); ``problem``: the journal's, if any."""

    run_dir: str
    journal: str
    keyed: bool
    run: JournalRun | None
    checkpoint: JournalCheckpoint | None
    chain: tuple[JournalCheckpoint, ...]  # first checkpoint .. the one found
    skipped: tuple[Skipped, ...]
    torn_tail: bytes
    problem: str | None
    entries: int

    @property
    def path(self) -> str | None:
        """The checkpoint to resume from, as a path on this machine."""
        return None if self.checkpoint is None else resolve(self.run_dir, self.checkpoint.path)

    @property
    def exit_code(self) -> int:
        return 0 if self.checkpoint is not None else 1

    def to_json(self) -> dict[str, Any]:
        from hashlib import sha256

        found = self.checkpoint
        return {
            "recoveryType": "https://mbom.dev/recover/v1",
            "ok": found is not None,
            "runDir": self.run_dir,
            "journal": self.journal,
            "journalEntries": self.entries,
            "signaturesChecked": self.keyed,
            "journalProblem": self.problem,
            "run": None if self.run is None else self.run.run_id,
            "checkpoint": None
            if found is None
            else {
                "entry": found.entry,
                "step": found.step,
                "path": self.path,
                "digest": found.digest,
            },
            "chain": [{"entry": c.entry, "step": c.step, "digest": c.digest} for c in self.chain],
            "skipped": [item.to_json() for item in self.skipped],
            "tornTail": None
            if not self.torn_tail
            else {"bytes": len(self.torn_tail), "sha256": sha256(self.torn_tail).hexdigest()},
        }


def recover(
    run_dir: str | os.PathLike[str],
    *,
    journal: str | os.PathLike[str] | None = None,
    keys: Sequence[Any] = (),
) -> Recovery:
    """Verify the journal, then find the newest checkpoint whose bytes match it.

    ``keys``: public keys (objects or PEM paths) the journal's checkpoints must be signed by.
    Raises :class:`InputError` for a run directory that is not one and
    :class:`TrustMaterialError` when there is no journal; a tampered journal or checkpoint is
    a result (exit 1), never an exception.
    """
    from mbom.forensics.log import read_verified

    root = os.fspath(run_dir)
    if not os.path.isdir(root):
        raise InputError(f"{root}: not a directory (the run directory)", path=root)
    name = os.fspath(journal) if journal is not None else find_journal(root)
    if not os.path.isfile(name):
        raise TrustMaterialError(f"{name}: no journal: nothing to recover from", path=name)
    public = [_public_key(key) for key in keys]
    result, entries = read_verified(
        name, public_keys=public, allow_unsealed_tail=1 << 62 if public else None
    )
    empty = Recovery(root, name, bool(public), None, None, (), (), result.tail, None, result.lines)
    if result.entries == 0 and result.lines == 0:
        return empty  # created, then killed before its first entry was whole: no run yet
    if not result.valid:
        assert result.problem is not None
        return _replace(empty, problem=f"journal {result.problem.kind}: {result.problem.message}")
    run = read_run(entries)
    if run is None:
        return _replace(empty, problem="the journal holds no run (no run-start event)")
    if not run.checkpoints:
        return _replace(empty, run=run)
    sealed = result.sealed if public else None
    by_entry = {c.entry: c for c in run.checkpoints}
    skipped: list[Skipped] = []
    for candidate in sorted(run.checkpoints, key=lambda c: c.entry, reverse=True):
        why = _skip_reason(root, candidate, sealed, by_entry)
        if why is None:
            chain = _chain(candidate, by_entry)
            return _replace(
                empty, run=run, checkpoint=candidate, chain=chain, skipped=tuple(skipped)
            )
        skipped.append(why)
    return _replace(empty, run=run, skipped=tuple(skipped))


def find_journal(run_dir: str) -> str:
    """``RUN_DIR/bom.journal.jsonl``, else the one ``*.journal.jsonl`` there."""
    default = os.path.join(run_dir, f"bom{JOURNAL_SUFFIX}")
    if os.path.isfile(default):
        return default
    found = sorted(p for p in os.listdir(run_dir) if p.endswith(JOURNAL_SUFFIX))
    if len(found) > 1:
        raise InputError(f"{run_dir}: several journals ({', '.join(found)}); give --journal")
    return os.path.join(run_dir, found[0]) if found else default


def resolve(run_dir: str, path: str) -> str:
    return os.path.join(run_dir, *path.split("/")) if path != "." else run_dir


def _replace(recovery: Recovery, **changes: Any) -> Recovery:
    from dataclasses import replace

    return replace(recovery, **changes)


def _public_key(key: Any) -> Any:
    if isinstance(key, str | os.PathLike):
        from mbom.attest.keys import load_public_key

        return load_public_key(key)
    return getattr(key, "public_key", key)  # a SigningKey: its public half


def _skip_reason(
    root: str,
    candidate: JournalCheckpoint,
    sealed: int | None,
    by_entry: Mapping[int, JournalCheckpoint],
) -> Skipped | None:
    if sealed is not None and candidate.entry >= sealed:
        return Skipped(
            candidate,
            "unsealed",
            f"entry {candidate.entry} is not sealed by a checkpoint signed by a given key "
            "(the run died before sealing it, or someone else appended it)",
        )
    location = _inside(root, candidate.path)
    if location is None:
        return Skipped(
            candidate,
            "outside",
            f"{candidate.path}: outside the run directory {root}: never followed",
        )
    broken = _broken_chain(candidate, by_entry)
    if broken is not None:
        return Skipped(candidate, "chain", broken)
    return _compare(candidate, location)


def _inside(root: str, path: str) -> str | None:
    """The checkpoint's local path when it resolves (links followed) inside ``root``."""
    from mbom.hashing._location import is_remote

    if is_remote(path) or path.startswith("/") or "\\" in path or ":" in path.split("/")[0]:
        return None
    if any(part in ("", "..") for part in path.split("/")) and path != ".":
        return None
    location = resolve(root, path)
    real_root = Path(os.path.realpath(root))
    real = Path(os.path.realpath(location))
    if real != real_root and real_root not in real.parents:
        return None
    return location


def _broken_chain(
    candidate: JournalCheckpoint, by_entry: Mapping[int, JournalCheckpoint]
) -> str | None:
    """Why the parents of ``candidate`` do not form a chain back to the run's first one."""
    current, seen = candidate, set()
    while current.parent_entry is not None:
        parent = by_entry.get(current.parent_entry)
        if parent is None or parent.entry >= current.entry or parent.entry in seen:
            return (
                f"entry {current.entry}: its parent entry {current.parent_entry} is not an "
                "earlier checkpoint of this run"
            )
        if parent.digest != current.parent:
            return (
                f"entry {current.entry} names parent digest {current.parent} but entry "
                f"{parent.entry} records {parent.digest}"
            )
        seen.add(parent.entry)
        current = parent
    if current.parent is not None:
        return f"entry {current.entry} names a parent digest but no parent entry"
    return None


def _chain(
    candidate: JournalCheckpoint, by_entry: Mapping[int, JournalCheckpoint]
) -> tuple[JournalCheckpoint, ...]:
    chain = [candidate]
    while chain[-1].parent_entry is not None:
        chain.append(by_entry[chain[-1].parent_entry])
    return tuple(reversed(chain))


def _compare(candidate: JournalCheckpoint, location: str) -> Skipped | None:
    """Re-hash ``location`` (no cache, nothing loaded); None when it matches."""
    from mbom.hashing import hash_tree

    if not os.path.lexists(location):
        return Skipped(candidate, "missing", f"{location}: no such file or directory")
    try:
        tree = hash_tree(location, cache=False)
    except MbomError as exc:
        return Skipped(candidate, "unreadable", f"{candidate.path}: {exc}")
    if tree.is_directory == candidate.is_file:
        kind = "directory" if tree.is_directory else "file"
        return Skipped(candidate, "altered", f"{candidate.path}: is now a {kind}")
    actual = tree.root() if tree.is_directory else tree.files[0].digests["sha256"]
    if actual == candidate.digest:
        return None
    found = {(item.path if tree.is_directory else ""): item for item in tree.files}
    problems = []
    for path, size, digest in candidate.files:
        item = found.pop(path, None)
        if item is None:
            problems.append(FileProblem(path, "missing", digest, None, size, None))
        elif item.digests["sha256"] != digest:
            kind = "truncated" if item.size < size else "altered"
            problems.append(
                FileProblem(path, kind, digest, item.digests["sha256"], size, item.size)
            )
    for path, item in sorted(found.items()):
        problems.append(FileProblem(path, "added", None, item.digests["sha256"], None, item.size))
    kinds = {p.problem for p in problems}
    reason = next((k for k in ("missing", "truncated") if k in kinds), "altered")
    named = ", ".join(f"{p.file or location} {p.problem}" for p in problems) or "content"
    return Skipped(
        candidate,
        reason,
        f"{location}: {named} (expected {candidate.digest}, found {actual})",
        actual=actual,
        files=tuple(problems),
    )
