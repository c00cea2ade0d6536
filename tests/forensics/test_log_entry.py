"""One log line and one checkpoint, member by member: what is an entry, what a tree head signs."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from datetime import datetime, timezone

import pytest

from mbom.attest.keys import load_public_key, load_signing_key, write_key_pair
from mbom.canonical import canonical_json
from mbom.errors import MalformedFileError
from mbom.forensics._checkpoint import (
    CHECKPOINT_TYPE,
    sign_tree_head,
    signed_message,
    tree_head_problem,
    tree_root,
)
from mbom.forensics._entry import GENESIS, LogEntry, entry_hash, new_entry

HASHES = [hashlib.sha256(bytes([n])).hexdigest() for n in range(3)]


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, object]:
    private, public = write_key_pair(tmp_path_factory.mktemp("entry") / "log")
    return load_signing_key(private), load_public_key(public)


def line(**members: object) -> bytes:
    entry = {"event": {}, "index": 0, "kind": "event", "prev": GENESIS, "time": "t"}
    entry.update(members)
    if "hash" not in members:
        entry["hash"] = entry_hash({k: v for k, v in entry.items() if k != "hash"})
    return canonical_json(entry)


def test_a_line_parses_to_its_entry() -> None:
    entry = LogEntry.parse(line(event={"a": [1, "é"]}, index=3))
    assert (entry.index, entry.kind, entry.event, entry.prev, entry.time) == (
        3, "event", {"a": [1, "é"]}, GENESIS, "t",
    )  # fmt: skip
    assert entry.line() == line(event={"a": [1, "é"]}, index=3) + b"\n"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"a":1}', "not a log entry (keys must be event, hash, index, kind, prev, time)"),
        (b"[]", "not a log entry (keys must be event, hash, index, kind, prev, time)"),
        (line(index=-1), "index is not a non-negative integer"),
        (line(index=True), "index is not a non-negative integer"),
        (line(index="0"), "index is not a non-negative integer"),
        (line(kind="note"), "kind must be event or checkpoint and event an object"),
        (line(event=[]), "kind must be event or checkpoint and event an object"),
        (line(time=0), "time is not a string"),
        (line(prev="A" * 64), "prev is not a lowercase SHA-256 hex digest"),
        (line(prev="a" * 63), "prev is not a lowercase SHA-256 hex digest"),
        (line(prev=None), "prev is not a lowercase SHA-256 hex digest"),
        (line(hash="F" * 64), "hash is not a lowercase SHA-256 hex digest"),
        (b'{"a":1,"a":1}', "not JSON (duplicate key 'a')"),
        (b'{"a":Infinity}', "not JSON (Infinity is not allowed in JSON"),
        (b'{"a":-Infinity}', "not JSON (-Infinity is not allowed in JSON"),
        (b"\xfe", "not JSON (not valid UTF-8 text (bad byte at offset 0)"),
        (b"{", "not JSON ("),
    ],
)
def test_what_is_not_an_entry(raw: bytes, message: str) -> None:
    with pytest.raises(MalformedFileError) as raised:
        LogEntry.parse(raw)
    assert raised.value.message.startswith(message)


@pytest.mark.parametrize(
    ("edit", "offset"),
    [
        (lambda raw: raw + b" ", None),  # trailing whitespace: the canonical line is a prefix
        (lambda raw: raw.replace(b'{"event":{}', b'{ "event":{}'), 1),
        (lambda raw: raw.replace(b'"kind":"event"', b'"kind":"\\u0065vent"'), None),
    ],
)
def test_a_line_must_be_canonical(edit, offset: int | None) -> None:
    raw = line()
    edited = edit(raw)
    with pytest.raises(MalformedFileError) as raised:
        LogEntry.parse(edited)
    where = len(raw) if offset is None else offset
    if offset is None and not edited.endswith(b" "):
        where = raw.index(b'"kind":"event"') + len(b'"kind":"')
    assert raised.value.message == (
        f"not RFC 8785 canonical JSON (first difference at byte {where}): mbom never writes "
        "such a line"
    )


def test_another_spelling_of_a_number() -> None:
    spelled = line(event={"x": 1}).replace(b'"x":1', b'"x":1e0')  # parses to 1.0, written 1
    with pytest.raises(MalformedFileError, match=r"first difference at byte 15\)"):
        LogEntry.parse(spelled)


def test_new_entries_are_stamped_in_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # 9 hours from UTC: a local time would show
    time.tzset()
    try:
        entry = new_entry(4, "event", {"a": 1}, GENESIS)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", entry.time)
    stamped = datetime.strptime(entry.time, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert abs((datetime.now(timezone.utc) - stamped).total_seconds()) < 3600
    assert entry.hash == entry_hash(entry.body()) and entry.index == 4


def test_what_a_checkpoint_signs() -> None:
    root = "ab" * 32
    assert signed_message(3, root) == (
        b'{"root":"' + root.encode() + b'","treeSize":3,"type":"' + CHECKPOINT_TYPE.encode()
        + b'"}'
    )  # fmt: skip


def test_a_signed_tree_head(key: tuple[object, object]) -> None:
    signing, public = key
    head = sign_tree_head(HASHES, signing)
    assert {k: v for k, v in head.items() if k != "signature"} == {
        "type": "https://mbom.dev/log-checkpoint/v1",
        "algorithm": "sha256",
        "treeSize": 3,
        "root": tree_root(HASHES),
        "keyHint": signing.hint,
    }
    assert base64.b64decode(head["signature"], validate=True)
    assert tree_head_problem(head, HASHES, [public]) is None
    assert tree_head_problem(head, HASHES, []) is None


@pytest.mark.parametrize(
    "change",
    [
        {"type": "https://mbom.dev/log-checkpoint/v2"},
        {"algorithm": "sha512"},
        {"treeSize": "3"},
        {"treeSize": 3.0},
        {"keyHint": 7},
        {"signature": None},
        {"extra": 1},
    ],
)
def test_a_malformed_tree_head(key: tuple[object, object], change: dict) -> None:
    head = {**sign_tree_head(HASHES, key[0]), **change}
    assert tree_head_problem(head, HASHES, [key[1]]) == "checkpoint is malformed"
    assert tree_head_problem(head, HASHES, []) == "checkpoint is malformed"


def test_a_tree_head_without_a_member(key: tuple[object, object]) -> None:
    for member in ("type", "algorithm", "treeSize", "root", "keyHint", "signature"):
        head = sign_tree_head(HASHES, key[0])
        del head[member]
        assert tree_head_problem(head, HASHES, []) == "checkpoint is malformed"


def test_a_tree_size_of_true_is_not_one(key: tuple[object, object]) -> None:
    head = sign_tree_head(HASHES[:1], key[0])
    assert tree_head_problem(head, HASHES[:1], []) is None
    assert tree_head_problem({**head, "treeSize": True}, HASHES[:1], []) == (
        "checkpoint is malformed"
    )


def test_tree_head_problems(key: tuple[object, object]) -> None:
    signing, public = key
    head = sign_tree_head(HASHES, signing)
    assert tree_head_problem(head, HASHES[:2], []) == (
        "checkpoint covers 3 entries but 2 precede it: entries were deleted or inserted before it"
    )
    assert tree_head_problem(head, HASHES[::-1], []) == (
        "checkpoint tree head does not match the entries before it: an earlier entry was "
        "edited, replaced or reordered"
    )
    spliced = head["signature"][:4] + "*" + head["signature"][4:]  # lax decoders skip the *
    for signature in ("not base64!", "é", spliced):
        assert tree_head_problem({**head, "signature": signature}, HASHES, [public]) == (
            "checkpoint signature is not base64"
        )
    forged = {**head, "signature": base64.b64encode(b"\x30\x06\x02\x01\x01\x02\x01\x01").decode()}
    assert tree_head_problem(forged, HASHES, [public]) == "checkpoint signature does not verify"
    assert tree_head_problem(forged, HASHES, []) is None  # without keys, not checked


def test_tree_root_is_rfc6962_over_entry_hashes() -> None:
    leaf = [hashlib.sha256(b"\x00" + bytes.fromhex(h)).digest() for h in HASHES]
    left = hashlib.sha256(b"\x01" + leaf[0] + leaf[1]).digest()
    assert tree_root(HASHES) == hashlib.sha256(b"\x01" + left + leaf[2]).hexdigest()
    assert tree_root(HASHES[:1]) == leaf[0].hex()
