"""Verifying the tamper-evident log: the first entry that does not hold, and why.

Checks, for each whole line in order: it parses as an entry; its index is its position (else
an entry was deleted, inserted or reordered); its hash matches its content (else edited); its
``prev`` is the hash of the line before (else the line before was edited and re-hashed, or
lines were swapped); each checkpoint's tree size and root match the entries before it and its
signature verifies with a given key. Stops at the first problem (docs/forensics.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mbom.errors import MalformedFileError
from mbom.forensics._checkpoint import check_tree_head
from mbom.forensics._entry import GENESIS, LogEntry, entry_hash, split_lines

#: Kinds of problem, in the order the checks run.
PROBLEMS = ("malformed", "deleted", "inserted", "reordered", "edited", "checkpoint", "truncated")


@dataclass(frozen=True, slots=True)
class LogProblem:
    """The first entry that does not verify: its index (= position, from 0) and why."""

    index: int
    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class CheckpointStatus:
    """A checkpoint that holds: ``verified`` (signature checked) or ``unverified`` (no key)."""

    index: int
    tree_size: int
    root: str
    key_hint: str
    status: str


@dataclass(frozen=True, slots=True)
class LogVerification:
    """What ``verify`` found: whole entries, checkpoints, the first problem, a torn tail."""

    path: str
    lines: int
    hashes: tuple[str, ...]  # hashes of the entries that verified, in order
    checkpoints: tuple[CheckpointStatus, ...]
    problem: LogProblem | None
    torn_tail: int  # bytes after the last newline (a crash mid-append)

    @property
    def valid(self) -> bool:
        return self.problem is None

    @property
    def entries(self) -> int:
        """How many entries verified (all of them when valid)."""
        return len(self.hashes)

    @property
    def last(self) -> str:
        """Hash of the last verified entry (the next entry's ``prev``)."""
        return self.hashes[-1] if self.hashes else GENESIS

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "valid": self.valid,
            "entries": self.lines,
            "verifiedEntries": self.entries,
            "lastHash": self.last,
            "checkpoints": [
                {
                    "index": c.index,
                    "treeSize": c.tree_size,
                    "root": c.root,
                    "keyHint": c.key_hint,
                    "status": c.status,
                }
                for c in self.checkpoints
            ],
            "problem": None
            if self.problem is None
            else {
                "index": self.problem.index,
                "kind": self.problem.kind,
                "message": self.problem.message,
            },
            "tornTail": self.torn_tail,
        }


def check_log_bytes(
    name: str,
    data: bytes,
    *,
    public_keys: Sequence[Any] = (),
    min_entries: int = 0,
) -> LogVerification:
    """Verify the log's bytes (read under the shared lock by the caller)."""
    lines, tail = split_lines(data)
    parsed: list[LogEntry | str] = []
    for raw in lines:
        try:
            parsed.append(LogEntry.parse(raw))
        except MalformedFileError as exc:
            parsed.append(str(exc))
    hashes: list[str] = []
    checkpoints: list[CheckpointStatus] = []
    problem = _walk(parsed, hashes, checkpoints, public_keys)
    if problem is None and len(hashes) < min_entries:
        problem = LogProblem(
            len(hashes),
            "truncated",
            f"the log has {len(hashes)} entries where {min_entries} were expected: "
            "entries were removed at its end",
        )
    return LogVerification(name, len(lines), tuple(hashes), tuple(checkpoints), problem, len(tail))


def _walk(
    parsed: list[LogEntry | str],
    hashes: list[str],
    checkpoints: list[CheckpointStatus],
    public_keys: Sequence[Any],
) -> LogProblem | None:
    """Check entries in order, filling ``hashes`` and ``checkpoints``; the first problem."""
    positions: dict[int, list[int]] = {}
    for position, item in enumerate(parsed):
        if isinstance(item, LogEntry):
            positions.setdefault(item.index, []).append(position)
    covered = 0  # entries covered by the last checkpoint that held
    for position, item in enumerate(parsed):
        if isinstance(item, str):
            return LogProblem(position, "malformed", f"line {position + 1} is not an entry: {item}")
        if item.index != position:
            return _misplaced(position, item.index, positions)
        if entry_hash(item.body()) != item.hash:
            return LogProblem(
                position, "edited", f"entry {position} was edited: it no longer matches its hash"
            )
        expected = hashes[-1] if hashes else GENESIS
        if item.prev != expected:
            return _broken_chain(position)
        if item.kind == "checkpoint":
            status, why = check_tree_head(item.event, hashes, public_keys)
            if why is not None:
                scope = f" (the change is among entries {covered} to {position - 1})"
                return LogProblem(position, "checkpoint", f"entry {position}: {why}{scope}")
            checkpoints.append(
                CheckpointStatus(
                    position, len(hashes), item.event["root"], item.event["keyHint"], status
                )
            )
            covered = position
        hashes.append(item.hash)
    return None


def _misplaced(position: int, index: int, positions: dict[int, list[int]]) -> LogProblem:
    line = position + 1
    if len(positions.get(index, ())) > 1:
        return LogProblem(
            index,
            "inserted",
            f"line {line}: a second entry claims index {index}: an entry was inserted",
        )
    if position in positions:
        return LogProblem(
            position,
            "reordered",
            f"line {line} holds entry {index} but entry {position} comes later: "
            "entries were reordered",
        )
    if index > position:
        missing = f"{position}" if index == position + 1 else f"{position} to {index - 1}"
        return LogProblem(
            position, "deleted", f"entries {missing} are missing before entry {index}: deleted"
        )
    return LogProblem(
        position, "inserted", f"line {line} holds an entry claiming index {index}: inserted"
    )


def _broken_chain(position: int) -> LogProblem:
    """Entry ``position`` does not chain to the one before it."""
    return LogProblem(
        position - 1,
        "edited",
        f"entry {position} does not chain to entry {position - 1}: entry {position - 1} was "
        "edited and re-hashed, or replaced, or an entry between them was deleted",
    )
