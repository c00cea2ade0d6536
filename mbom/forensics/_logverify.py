"""Verifying the tamper-evident log: the first entry that does not hold, and why.

Checks, for each line in order: it parses as an entry written canonically; its index is its
position (else an entry was deleted, inserted or reordered); its hash matches its content
(else edited); its ``prev`` is the hash of the line before (else it was replaced, or the line
before was edited and re-hashed); each checkpoint's tree size and root match the entries
before it and its signature verifies with a given key. Then the bytes after the last newline
(only an interrupted append's are harmless) and, with keys, the seal: the log must end with a
checkpoint signed by a given key, up to ``allow_unsealed_tail`` entries after it, and
``min_entries`` counts only sealed entries. Stops at the first problem (docs/forensics.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mbom.errors import InputError, MalformedFileError
from mbom.forensics._checkpoint import leaf, tree_head_problem
from mbom.forensics._entry import GENESIS, LogEntry, split_lines
from mbom.forensics._tail import ENTRY, FOREIGN, classify_tail, escape_bytes

#: Kinds of problem, in the order the checks run.
PROBLEMS = (
    "malformed",
    "deleted",
    "inserted",
    "reordered",
    "edited",
    "replaced",
    "chain",
    "checkpoint",
    "unterminated",
    "unsealed",
    "truncated",
)


@dataclass(frozen=True, slots=True)
class LogProblem:
    """The first entry that does not verify: its index (= position, from 0) and why."""

    index: int
    kind: str
    message: str

    def __post_init__(self) -> None:
        if self.kind not in PROBLEMS:  # the kinds are a documented contract: no others
            raise ValueError(f"unknown log problem kind {self.kind!r}")


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
    """What ``verify`` found: entries, checkpoints, the first problem, the seal, a torn tail."""

    path: str
    lines: int  # entries read (a last line without its newline included)
    hashes: tuple[str, ...]  # hashes of the entries that verified, in order
    checkpoints: tuple[CheckpointStatus, ...]
    problem: LogProblem | None
    tail: bytes  # a torn write after the last newline (b"" when none)
    sealed: int | None  # entries up to the last checkpoint signed by a given key; None: no keys

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

    @property
    def torn_tail(self) -> int:
        """Bytes of a torn write after the last newline."""
        return len(self.tail)

    @property
    def unsealed(self) -> int | None:
        """Verified entries after the last checkpoint signed by a given key (None: no keys)."""
        return None if self.sealed is None else self.entries - self.sealed

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "valid": self.valid,
            "entries": self.lines,
            "verifiedEntries": self.entries,
            "sealedEntries": self.sealed,
            "unsealedEntries": self.unsealed,
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
            "tornTailPreview": escape_bytes(self.tail),
        }


def check_log_bytes(
    name: str,
    data: bytes,
    *,
    public_keys: Sequence[Any] = (),
    min_entries: int = 0,
    allow_unsealed_tail: int | None = None,
) -> LogVerification:
    """Verify the log's bytes (read under the shared lock by the caller).

    With ``public_keys`` the log must be sealed (see the module docstring); without them,
    ``min_entries`` and ``allow_unsealed_tail`` mean nothing and are an :class:`InputError`.
    """
    _check_options(bool(public_keys), min_entries, allow_unsealed_tail)
    lines, tail = split_lines(data)
    shape = classify_tail(tail)
    if shape == ENTRY:  # a whole line without its newline is an entry to verify, not a tear
        lines, tail = [*lines, tail], b""
    parsed: list[LogEntry | str] = []
    for raw in lines:
        try:
            parsed.append(LogEntry.parse(raw))
        except MalformedFileError as exc:
            parsed.append(str(exc))
    hashes: list[str] = []
    checkpoints: list[CheckpointStatus] = []
    problem = _walk(parsed, hashes, checkpoints, public_keys)
    if problem is None and shape == ENTRY:
        problem = LogProblem(
            len(lines) - 1,
            "unterminated",
            f"entry {len(lines) - 1} has no newline: an append writes the entry and its "
            "newline at once, so the last entry was written or edited by something else",
        )
    if problem is None and shape == FOREIGN:
        problem = LogProblem(
            len(lines),
            "malformed",
            f"the {len(tail)} bytes after the last newline are not the start of an entry, so "
            f"not an interrupted append: {escape_bytes(tail)}",
        )
        tail = b""  # not a torn write: reported as the problem, not as a tail
    sealed = None
    if public_keys:
        sealed = checkpoints[-1].index + 1 if checkpoints else 0
        if problem is None:
            problem = _seal(len(hashes), sealed, allow_unsealed_tail or 0, min_entries)
    return LogVerification(
        name, len(lines), tuple(hashes), tuple(checkpoints), problem, tail, sealed
    )


def _check_options(keyed: bool, min_entries: int, allow_unsealed_tail: int | None) -> None:
    """The seal options need keys: without them nothing is sealed and nothing can be counted."""
    if min_entries < 0:
        raise InputError(f"min_entries must be at least 0, not {min_entries}")
    if allow_unsealed_tail is not None and allow_unsealed_tail < 0:
        raise InputError(f"allow_unsealed_tail must be at least 0, not {allow_unsealed_tail}")
    if not keyed and min_entries:
        raise InputError(
            "--min-entries needs --key: it counts entries sealed by a checkpoint signed by a "
            "given key (anyone can append entries that are not)"
        )
    if not keyed and allow_unsealed_tail is not None:
        raise InputError("--allow-unsealed-tail needs --key: without a key nothing is sealed")


def _seal(entries: int, sealed: int, allowed: int, min_entries: int) -> LogProblem | None:
    """With keys: a checkpoint signed by a given key must cover all but ``allowed`` entries,
    and ``min_entries`` entries must be sealed (unsealed ones can be made up by anyone)."""
    if sealed == 0:
        covers = span(0, entries - 1) if entries else "the log is empty"
        return LogProblem(
            0,
            "unsealed",
            f"no checkpoint signed by a given key ({covers}): a log rewritten without its "
            "checkpoints looks like this",
        )
    unsealed = entries - sealed
    if unsealed > allowed:
        return LogProblem(
            sealed,
            "unsealed",
            f"no signed checkpoint covers {span(sealed, entries - 1)} (after the last, entry "
            f"{sealed - 1}): {unsealed} unsealed where --allow-unsealed-tail allows {allowed}",
        )
    if sealed < min_entries:
        return LogProblem(
            sealed,
            "truncated",
            f"{sealed} entries are sealed by a checkpoint signed by a given key where at "
            f"least {min_entries} were expected: entries were removed at the end",
        )
    return None


def _walk(
    parsed: list[LogEntry | str],
    hashes: list[str],
    checkpoints: list[CheckpointStatus],
    public_keys: Sequence[Any],
) -> LogProblem | None:
    """Check entries in order, filling ``hashes`` and ``checkpoints``; the first problem."""
    from mbom.hashing.merkle import RootBuilder

    claims = Counter(item.index for item in parsed if isinstance(item, LogEntry))
    tree = RootBuilder("sha256")  # the tree over ``hashes``, kept as they grow
    covered = 0  # entries covered by the last checkpoint that held
    for position, item in enumerate(parsed):
        if isinstance(item, str):
            return LogProblem(position, "malformed", f"line {position + 1} is not an entry: {item}")
        if item.index != position:
            return _misplaced(position, item.index, claims)
        if item.computed_hash() != item.hash:
            return LogProblem(
                position, "edited", f"entry {position} was edited: it no longer matches its hash"
            )
        expected = hashes[-1] if hashes else GENESIS
        if item.prev != expected:
            return _broken_chain(position, item, parsed)
        if item.kind == "checkpoint":
            why = tree_head_problem(item.event, hashes, public_keys, tree.root().hex())
            if why is not None:
                scope = f" (the change is among entries {covered} to {position - 1})"
                return LogProblem(position, "checkpoint", f"entry {position}: {why}{scope}")
            checkpoints.append(
                CheckpointStatus(
                    position,
                    len(hashes),
                    item.event["root"],
                    item.event["keyHint"],
                    "verified" if public_keys else "unverified",
                )
            )
            covered = position
        hashes.append(item.hash)
        tree.add(leaf(item.hash))
    return None


def span(first: int, last: int) -> str:
    """``entry 3`` or ``entries 3 to 5``."""
    return f"entry {first}" if first == last else f"entries {first} to {last}"


def _misplaced(position: int, index: int, claims: Counter[int]) -> LogProblem:
    """Entry at ``position`` claims ``index`` (``claims``: how many entries claim each index).
    Every line before it holds its own index, so a lower index is always claimed twice: an
    insertion, blamed on the index it copies."""
    line = position + 1
    if claims[index] > 1:
        return LogProblem(
            index,
            "inserted",
            f"line {line}: a second entry claims index {index}: an entry was inserted",
        )
    if position in claims:
        return LogProblem(
            position,
            "reordered",
            f"line {line} holds entry {index} but entry {position} comes later: "
            "entries were reordered",
        )
    return LogProblem(
        position, "deleted", f"{span(position, index - 1)} missing before entry {index}: deleted"
    )


def _broken_chain(position: int, entry: LogEntry, parsed: list[LogEntry | str]) -> LogProblem:
    """Entry ``position``'s ``prev`` is not the hash before it: blamed on entry ``position``.

    When the next entry does not chain to it either, the entry itself was swapped in (from
    another log, or another place); when the next one does, the entry before it was edited
    and re-hashed, or entries before it deleted and the rest renumbered and re-chained.
    """
    after = parsed[position + 1] if position + 1 < len(parsed) else None
    before = f"entry {position - 1}" if position else "the start of the log"
    head = f"entry {position} does not chain to {before} (its prev is {entry.prev[:12]}…)"
    if isinstance(after, LogEntry) and after.prev != entry.hash:
        return LogProblem(
            position,
            "replaced",
            f"{head} and entry {position + 1} does not chain to it: entry {position} was "
            "replaced by an entry from another log or another position",
        )
    causes = (
        f"entry {position - 1} was edited and re-hashed, or entries between them were deleted"
        if position
        else "entries before it were deleted"
    )
    last = f", or entry {position} was replaced" if after is None else ""
    return LogProblem(
        position, "chain", f"{head}: {causes} and the rest renumbered and re-chained{last}"
    )
