"""One entry of the tamper-evident log: its fields, its hash, its line (docs/forensics.md)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from mbom.bom.datasets import check_sha256_hex
from mbom.canonical import canonical_json
from mbom.errors import MalformedFileError

#: ``prev`` of the first entry.
GENESIS = "0" * 64
KINDS = ("event", "checkpoint")
ENTRY_KEYS = frozenset(("index", "time", "kind", "event", "prev", "hash"))


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One entry of the log, as written on one line."""

    index: int
    time: str
    kind: str
    event: Mapping[str, Any]
    prev: str
    hash: str
    encoded: bytes | None = field(default=None, compare=False, repr=False)  # line(), if known

    def body(self) -> dict[str, Any]:
        """The entry without ``hash``: what ``hash`` is computed over."""
        return {
            "index": self.index,
            "time": self.time,
            "kind": self.kind,
            "event": dict(self.event),
            "prev": self.prev,
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.body(), "hash": self.hash}

    def line(self) -> bytes:
        """The entry as written: its canonical JSON and a newline."""
        if self.encoded is not None:
            return self.encoded
        return canonical_json(self.to_json()) + b"\n"

    @classmethod
    def parse(cls, raw: bytes) -> LogEntry:
        """Parse one line (without its newline); :class:`MalformedFileError` unless it is an
        entry written as mbom writes one: RFC 8785 canonical JSON, each key once.

        Requiring the canonical bytes means one entry has exactly one line: a line that parses
        to the same entry but differs (a duplicate key whose last value wins, reordered keys,
        whitespace, another number spelling) was written by something other than mbom.
        """
        document = load_json_rejecting_duplicate_keys(raw)
        if not isinstance(document, dict) or set(document) != ENTRY_KEYS:
            raise MalformedFileError(
                f"not a log entry (keys must be {', '.join(sorted(ENTRY_KEYS))})"
            )
        index = document["index"]
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise MalformedFileError("index is not a non-negative integer")
        if document["kind"] not in KINDS or not isinstance(document["event"], dict):
            raise MalformedFileError("kind must be event or checkpoint and event an object")
        if not isinstance(document["time"], str):
            raise MalformedFileError("time is not a string")
        for name in ("prev", "hash"):
            if not _lowercase_sha256(document[name]):
                raise MalformedFileError(f"{name} is not a lowercase SHA-256 hex digest")
        canonical = canonical_json(document)
        if canonical != raw:
            raise MalformedFileError(
                "not RFC 8785 canonical JSON (first difference at byte "
                f"{_first_difference(canonical, raw)}): mbom never writes such a line"
            )
        return cls(**document, encoded=raw + b"\n")

    def computed_hash(self) -> str:
        """SHA-256 of the entry without ``hash``, as :func:`entry_hash` computes it; from the
        line itself when it was parsed (a canonical line minus its ``hash`` member is the
        canonical body: ``hash`` follows ``event``, and nothing after it nests)."""
        if self.encoded is None:
            return entry_hash(self.body())
        member = b',"hash":"' + self.hash.encode() + b'"'
        at = self.encoded.rfind(member)
        body = self.encoded[:at] + self.encoded[at + len(member) : -1]
        return hashlib.sha256(body).hexdigest()


def _lowercase_sha256(value: Any) -> bool:
    try:
        return check_sha256_hex(value) == value
    except ValueError:
        return False


def load_json_rejecting_duplicate_keys(raw: bytes) -> Any:
    """Parse one line with the project's strict loader (:mod:`mbom.load`): a key twice in one
    object, NaN/Infinity, deep nesting or non-UTF-8 bytes are :class:`MalformedFileError`.
    """
    from mbom.load import JsonSyntaxError, parse_json

    try:
        return parse_json(raw)
    except JsonSyntaxError as exc:
        raise MalformedFileError(f"not JSON ({exc.reason})") from None


def _first_difference(left: bytes, right: bytes) -> int:
    """Offset of the first byte where ``left`` and ``right`` differ (or the shorter length)."""
    return next(
        (i for i, (a, b) in enumerate(zip(left, right)) if a != b), min(len(left), len(right))
    )


def entry_hash(body: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the RFC 8785 canonical JSON of an entry without its ``hash``."""
    return hashlib.sha256(canonical_json(body)).hexdigest()


def new_entry(
    index: int, kind: str, event: Mapping[str, Any], prev: str, encoded: bytes | None = None
) -> LogEntry:
    """A new entry stamped with the current UTC time (microseconds) and hashed.

    ``encoded``: ``canonical_json(event)`` when the caller has it. ``event`` sorts first among
    an entry's keys, so the entry's canonical body and line are spliced around it instead of
    canonicalising the (possibly large) event twice more; ``LogEntry.parse`` re-checks every
    line byte for byte, so a wrong splice could never verify."""
    time = datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
    body = {"index": index, "time": time, "kind": kind, "event": dict(event), "prev": prev}
    event_bytes = encoded if encoded is not None else canonical_json(body["event"])
    rest = canonical_json({"index": index, "kind": kind, "prev": prev, "time": time})[1:]
    digest = hashlib.sha256(b'{"event":' + event_bytes + b"," + rest).hexdigest()
    line = b'{"event":' + event_bytes + b',"hash":"' + digest.encode() + b'",' + rest + b"\n"
    return LogEntry(**body, hash=digest, encoded=line)


def split_lines(data: bytes) -> tuple[list[bytes], bytes]:
    """The whole lines of a log (each ended by a newline) and the bytes after the last one."""
    end = data.rfind(b"\n") + 1
    return data[:end].split(b"\n")[:-1], data[end:]
