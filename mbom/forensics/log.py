"""The tamper-evident log: append-only JSON Lines, hash-chained, with signed checkpoints.

Usage::

    from mbom.attest.keys import load_signing_key, load_public_key
    from mbom.forensics.log import append_event, append_checkpoint, verify_log, read_log

    append_event("audit.log", {"action": "sign", "bom": "bom.cdx.json"})
    append_event("audit.log", {...}, key=load_signing_key("log.pem"))  # checkpoint every 100
    append_checkpoint("audit.log", load_signing_key("log.pem"))         # one now
    result = verify_log("audit.log", public_keys=[load_public_key("log.pub")])
    result.valid, result.problem, result.checkpoints, result.sealed, result.tail
    repair_log("audit.log")                                              # cut a torn tail

Each line is the RFC 8785 canonical JSON of one entry ``{"index", "time", "kind", "event",
"prev", "hash"}``: ``hash`` is the SHA-256 of the canonical JSON of the entry without
``hash``, and ``prev`` the hash of the entry before (64 zeros for the first). A checkpoint is
an entry of kind ``checkpoint`` whose event is a signed RFC 6962 tree head over the hashes of
every entry before it. Appends from any number of processes are serialised by ``flock`` on
the log file and written with one ``write`` (``O_APPEND``) and an ``fsync``; a crash mid-append
leaves a torn last line, which ``verify`` reports, ``append`` refuses to write after, and only
``repair_log`` (``mbom log repair``) cuts off. The format and what verification can and cannot
detect are in docs/forensics.md.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mbom.canonical import canonical_json
from mbom.errors import InputError, MalformedFileError, VerificationError
from mbom.forensics._entry import GENESIS, LogEntry, entry_hash, new_entry, split_lines
from mbom.forensics._lock import locked
from mbom.forensics._logverify import (
    CheckpointStatus,
    LogProblem,
    LogVerification,
    check_log_bytes,
)
from mbom.forensics._tail import ENTRY, TORN, classify_tail, escape_bytes

__all__ = [
    "DEFAULT_CHECKPOINT_EVERY",
    "GENESIS",
    "CheckpointStatus",
    "LogCursor",
    "LogEntry",
    "LogProblem",
    "LogVerification",
    "Repair",
    "append_checkpoint",
    "append_event",
    "entry_hash",
    "read_log",
    "read_verified",
    "repair_log",
    "verify_log",
]

#: With a key, a checkpoint follows every entry whose ``index + 1`` is a multiple of this.
DEFAULT_CHECKPOINT_EVERY = 100


def append_event(
    path: str | os.PathLike[str],
    event: Mapping[str, Any],
    *,
    key: Any = None,
    checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
    seal: bool = False,
    cursor: LogCursor | None = None,
) -> LogEntry:
    """Append ``event`` (a JSON object) to the log at ``path``, creating it when missing.

    With ``key`` (a :class:`mbom.attest.keys.SigningKey`), a signed checkpoint is appended
    right after every entry whose ``index + 1`` is a multiple of ``checkpoint_every``, and
    after this one when ``seal`` (the run journal seals every training checkpoint). The
    event and its checkpoint go out in one ``write`` and one ``fsync``. Safe to call from
    many processes at once. Returns the appended event entry.

    ``cursor`` (one appender's :class:`LogCursor`) keeps what this appender last verified
    and wrote: while the file still ends where it left it, the next append neither re-reads
    nor re-verifies the log (a run journal sealed at every checkpoint stays O(1) per append).
    """
    if not isinstance(event, Mapping):
        raise InputError("a log event must be a JSON object")
    if checkpoint_every < 1:
        raise InputError("checkpoint_every must be at least 1")
    name = os.fspath(path)
    encoded = canonical_json(dict(event))  # refuse what JSON cannot carry before the lock
    with locked(name, exclusive=True, create=True) as fd:
        known = cursor is not None and cursor.offset == os.fstat(fd).st_size
        if cursor is not None and not known:
            cursor.load(fd, name)
        index, prev = (cursor.entries, cursor.last) if cursor and known else _tail(fd, name)
        entry = new_entry(index, "event", event, prev, encoded)
        lines = [entry]
        if key is not None and (seal or (index + 1) % checkpoint_every == 0):
            if cursor is not None and cursor.offset >= 0:
                lines.append(cursor.checkpoint_after(entry, key))
            else:
                lines.append(_checkpoint_after(fd, name, key, entry))
        data = b"".join(line.line() for line in lines)
        _write_line(fd, data)
        if cursor is not None and cursor.offset >= 0:
            cursor.advance(lines, len(data))
    return entry


class LogCursor:
    """What one appender verified of a log: where it ended, how many entries, their tree.

    Loaded by verifying the whole log under the lock (``offset`` -1 when it does not verify:
    the next append then takes the slow path, which refuses to sign). A checkpoint made from
    it signs the entries this appender verified and wrote, never bytes it has not read.
    """

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        from mbom.hashing.merkle import RootBuilder

        self.offset, self.entries, self.last = -1, 0, GENESIS
        self.tree = RootBuilder("sha256")

    def load(self, fd: int, name: str) -> None:
        """Verify the whole log (under the caller's lock) and start from its end."""
        from mbom.forensics._checkpoint import leaf

        data = _read_all(fd, name)
        result = check_log_bytes(name, data)
        self._reset()
        if result.problem is None and not result.tail:
            self.tree.extend([leaf(h) for h in result.hashes])
            self.offset, self.entries, self.last = len(data), result.entries, result.last

    def checkpoint_after(self, pending: LogEntry, key: Any) -> LogEntry:
        from mbom.forensics._checkpoint import leaf, sign_root

        tree = self.tree.copy()
        tree.add(leaf(pending.hash))
        head = sign_root(self.entries + 1, tree.root().hex(), key)
        return new_entry(self.entries + 1, "checkpoint", head, pending.hash)

    def advance(self, written: list[LogEntry], size: int) -> None:
        from mbom.forensics._checkpoint import leaf

        for entry in written:
            self.tree.add(leaf(entry.hash))
        self.offset += size
        self.entries += len(written)
        self.last = written[-1].hash


def append_checkpoint(path: str | os.PathLike[str], key: Any) -> LogEntry:
    """Verify the log's chain, then append a checkpoint signed with ``key`` over every entry."""
    name = os.fspath(path)
    with locked(name, exclusive=True) as fd:
        _tail(fd, name)
        return _append_checkpoint(fd, name, key)


def verify_log(
    path: str | os.PathLike[str],
    *,
    public_keys: tuple[Any, ...] | list[Any] = (),
    min_entries: int = 0,
    allow_unsealed_tail: int | None = None,
) -> LogVerification:
    """Check every entry's hash, the chain, and every checkpoint (signatures with keys).

    With ``public_keys`` the log must end with a checkpoint signed by one of them, followed by
    at most ``allow_unsealed_tail`` entries (default 0), and ``min_entries`` counts only the
    entries that checkpoint seals. Without keys checkpoints are reported as unverified (their
    tree heads are still recomputed) and the two options are an input error. Raises only for
    input errors; a tampered log is a result with ``valid`` False.
    """
    name = os.fspath(path)
    with locked(name, exclusive=False) as fd:
        data = _read_all(fd, name)
    return check_log_bytes(
        name,
        data,
        public_keys=public_keys,
        min_entries=min_entries,
        allow_unsealed_tail=allow_unsealed_tail,
    )


def read_verified(
    path: str | os.PathLike[str],
    *,
    public_keys: tuple[Any, ...] | list[Any] = (),
    allow_unsealed_tail: int | None = None,
) -> tuple[LogVerification, list[LogEntry]]:
    """:func:`verify_log` and the entries that verified, from one read of the file (so no
    append can slip in between); each line is parsed strictly once, by the verification."""
    import json

    name = os.fspath(path)
    with locked(name, exclusive=False) as fd:
        data = _read_all(fd, name)
    result = check_log_bytes(
        name, data, public_keys=public_keys, allow_unsealed_tail=allow_unsealed_tail
    )
    lines, _tail = split_lines(data)
    # verified lines are canonical entries already: the plain parser reads them the same
    return result, [LogEntry(**json.loads(raw)) for raw in lines[: result.entries]]


def read_log(path: str | os.PathLike[str]) -> tuple[list[LogEntry | bytes], bytes]:
    """Every whole line (parsed, or raw bytes when it is not an entry) and the bytes after the
    last newline."""
    name = os.fspath(path)
    with locked(name, exclusive=False) as fd:
        data = _read_all(fd, name)
    lines, tail = split_lines(data)
    rows: list[LogEntry | bytes] = []
    for raw in lines:
        try:
            rows.append(LogEntry.parse(raw))
        except MalformedFileError:
            rows.append(raw)
    return rows, tail


@dataclass(frozen=True, slots=True)
class Repair:
    """What :func:`repair_log` cut: ``cut`` (the bytes) from ``offset``; empty when nothing."""

    path: str
    offset: int
    cut: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "offset": self.offset,
            "bytes": len(self.cut),
            "sha256": hashlib.sha256(self.cut).hexdigest(),
            "cut": escape_bytes(self.cut, limit=None),
        }


def repair_log(path: str | os.PathLike[str]) -> Repair:
    """Cut a torn tail (an interrupted append) off the log, under the exclusive lock.

    The only way mbom ever shortens a log. Refuses (:class:`VerificationError`) anything that
    is not a torn write: a whole entry without its newline, or bytes no append writes. One
    ``ftruncate`` then ``fsync`` while every other appender and reader waits on the lock, so
    no one sees the log half-repaired.
    """
    name = os.fspath(path)
    with locked(name, exclusive=True) as fd:
        data = _read_all(fd, name)
        offset = data.rfind(b"\n") + 1
        tail = data[offset:]
        shape = classify_tail(tail)
        if tail and shape != TORN:
            raise VerificationError(
                f"{name}: refusing to cut the {len(tail)} bytes after the last newline: they "
                f"are not an interrupted append ({_describe(shape)}): {escape_bytes(tail)}; "
                "run mbom log verify",
                path=name,
            )
        if tail:
            os.ftruncate(fd, offset)
            os.fsync(fd)
    return Repair(name, offset, tail)


def _append_checkpoint(fd: int, name: str, key: Any) -> LogEntry:
    entry = _checkpoint_after(fd, name, key, None)
    _write_line(fd, entry.line())
    return entry


def _checkpoint_after(fd: int, name: str, key: Any, pending: LogEntry | None) -> LogEntry:
    """A checkpoint signed over the log as it is plus ``pending`` (not yet written), after
    verifying the log: mbom never signs over entries that do not verify."""
    from mbom.forensics._checkpoint import sign_tree_head

    result = check_log_bytes(name, _read_all(fd, name))
    if result.problem is not None:
        raise VerificationError(
            f"{name}: refusing to sign a checkpoint over a log that does not verify: "
            f"{result.problem.message}",
            path=name,
        )
    hashes = [*result.hashes, *([pending.hash] if pending is not None else [])]
    last = pending.hash if pending is not None else result.last
    return new_entry(len(hashes), "checkpoint", sign_tree_head(hashes, key), last)


def _tail(fd: int, name: str) -> tuple[int, str]:
    """(next index, hash of the last entry); refuses to append after a line with no newline."""
    size = os.fstat(fd).st_size
    chunk = b""
    position = size
    while position > 0 and chunk.count(b"\n") < 2:
        step = min(65536, position)
        position -= step
        chunk = os.pread(fd, step, position) + chunk
    end = chunk.rfind(b"\n")
    tail = chunk[end + 1 :]
    if tail:
        _refuse_tail(name, tail)
    if end < 0:
        return 0, GENESIS
    last = chunk[chunk.rfind(b"\n", 0, end) + 1 : end]
    try:
        entry = LogEntry.parse(last)
    except MalformedFileError as exc:
        raise VerificationError(
            f"{name}: cannot append: the last entry is unreadable ({exc}); run mbom log verify",
            path=name,
        ) from None
    if entry_hash(entry.body()) != entry.hash:
        raise VerificationError(
            f"{name}: cannot append: the last entry (index {entry.index}) does not match its "
            "hash; run mbom log verify",
            path=name,
        )
    return entry.index + 1, entry.hash


def _refuse_tail(name: str, tail: bytes) -> None:
    """Never append after (nor silently cut) bytes without a newline: say what they are."""
    shape = classify_tail(tail)
    shown = f"{len(tail)} bytes: {escape_bytes(tail)}"
    if shape == TORN:
        raise InputError(
            f"{name}: cannot append: the last line is incomplete (an interrupted append? "
            f"{shown}); check it, then run mbom log repair {name} to cut it",
            path=name,
        )
    raise VerificationError(
        f"{name}: cannot append: the last line has no newline and is not an interrupted "
        f"append ({_describe(shape)}, {shown}); run mbom log verify",
        path=name,
    )


def _describe(shape: str) -> str:
    return (
        "a whole JSON value: an entry written or edited without its newline"
        if shape == ENTRY
        else "not the start of an entry"
    )


def _write_line(fd: int, line: bytes) -> None:
    """One ``write`` of the whole line (O_APPEND), then ``fsync``; loop only on a short write."""
    view = memoryview(line)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    os.fsync(fd)


def _read_all(fd: int, name: str) -> bytes:
    chunks = []
    offset = 0
    while True:
        try:
            block = os.pread(fd, 1 << 20, offset)
        except OSError as exc:
            raise InputError(f"{name}: cannot read: {exc.strerror}", path=name) from None
        if not block:
            return b"".join(chunks)
        chunks.append(block)
        offset += len(block)
