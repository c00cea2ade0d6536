"""Every branch of mbom.forensics._logverify, with its exact message (a gate module: mutation
testing must find no change to it that these tests let through).

The logs are real: appended by mbom with a key made by mbom, checkpoints signed; the tests
then change bytes as an attacker or a crash would and call the verifier on them.
"""

from __future__ import annotations

import json

import pytest

from mbom.attest.keys import load_public_key, load_signing_key, write_key_pair
from mbom.canonical import canonical_json
from mbom.errors import InputError
from mbom.forensics._entry import GENESIS, entry_hash
from mbom.forensics._logverify import PROBLEMS, LogProblem, check_log_bytes, span
from mbom.forensics.log import append_checkpoint, append_event


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, list, list]:
    """(log bytes, [public key], [another public key]): events 0-2, checkpoint 3, events 4-5,
    checkpoint 6; the checkpoints signed by the first key."""
    folder = tmp_path_factory.mktemp("logverify")
    private, public = write_key_pair(folder / "log")
    _, other = write_key_pair(folder / "other")
    log = folder / "a.log"
    key = load_signing_key(private)
    for n in range(5):
        append_event(log, {"n": n})
        if n in (2, 4):
            append_checkpoint(log, key)
    return log.read_bytes(), [load_public_key(public)], [load_public_key(other)]


def entries(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.splitlines()]


def encode(items: list[dict], *, newline: bool = True) -> bytes:
    data = b"".join(canonical_json(e) + b"\n" for e in items)
    return data if newline else data[:-1]


def seal(entry: dict) -> dict:
    entry["hash"] = entry_hash({k: v for k, v in entry.items() if k != "hash"})
    return entry


def rechain(items: list[dict], start: int = 0) -> list[dict]:
    for position in range(start, len(items)):
        items[position]["index"] = position
        items[position]["prev"] = items[position - 1]["hash"] if position else GENESIS
        seal(items[position])
    return items


def check(data: bytes, **options: object):
    return check_log_bytes("a.log", data, **options)


def fails(data: bytes, **options: object) -> LogProblem:
    result = check(data, **options)
    assert not result.valid and result.problem is not None
    return result.problem


# -- a log that holds, and what the result says about it --------------------------------------


def test_a_sealed_log_and_its_report(made: tuple[bytes, list, list]) -> None:
    data, keys, _ = made
    result = check(data, public_keys=keys)
    items = entries(data)
    assert result.valid and result.problem is None
    assert (result.path, result.lines, result.entries, result.sealed, result.unsealed) == (
        "a.log", 7, 7, 7, 0,
    )  # fmt: skip
    assert result.hashes == tuple(e["hash"] for e in items)
    assert result.last == items[-1]["hash"]
    assert (result.tail, result.torn_tail) == (b"", 0)
    assert [(c.index, c.tree_size, c.status) for c in result.checkpoints] == [
        (3, 3, "verified"),
        (6, 6, "verified"),
    ]
    assert [c.root for c in result.checkpoints] == [
        items[3]["event"]["root"],
        items[6]["event"]["root"],
    ]
    assert {c.key_hint for c in result.checkpoints} == {items[3]["event"]["keyHint"]}
    assert result.to_json() == {
        "path": "a.log",
        "valid": True,
        "entries": 7,
        "verifiedEntries": 7,
        "sealedEntries": 7,
        "unsealedEntries": 0,
        "lastHash": items[-1]["hash"],
        "checkpoints": [
            {
                "index": i,
                "treeSize": i,
                "root": items[i]["event"]["root"],
                "keyHint": items[i]["event"]["keyHint"],
                "status": "verified",
            }
            for i in (3, 6)
        ],
        "problem": None,
        "tornTail": 0,
        "tornTailPreview": "",
    }


def test_without_keys_nothing_is_sealed(made: tuple[bytes, list, list]) -> None:
    data, _, _ = made
    result = check(data)
    assert result.valid and result.sealed is None and result.unsealed is None
    assert [c.status for c in result.checkpoints] == ["unverified", "unverified"]
    report = result.to_json()
    assert (report["sealedEntries"], report["unsealedEntries"]) == (None, None)


def test_an_empty_log(made: tuple[bytes, list, list]) -> None:
    _, keys, _ = made
    result = check(b"")
    assert result.valid and (result.lines, result.entries, result.last) == (0, 0, GENESIS)
    problem = fails(b"", public_keys=keys)
    assert problem == LogProblem(
        0,
        "unsealed",
        "no checkpoint signed by a given key (the log is empty): a log rewritten without its "
        "checkpoints looks like this",
    )
    assert check(b"", public_keys=keys).sealed == 0


def test_problem_report_in_json(made: tuple[bytes, list, list]) -> None:
    data, _, _ = made
    items = entries(data)
    items[1]["event"]["n"] = 9
    report = check(encode(items)).to_json()
    assert report["valid"] is False
    assert report["problem"] == {
        "index": 1,
        "kind": "edited",
        "message": "entry 1 was edited: it no longer matches its hash",
    }
    assert (report["entries"], report["verifiedEntries"]) == (7, 1)
    assert report["lastHash"] == items[0]["hash"]


# -- the options -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"min_entries": -1}, "min_entries must be at least 0, not -1"),
        ({"allow_unsealed_tail": -1}, "allow_unsealed_tail must be at least 0, not -1"),
        (
            {"min_entries": 1},
            "--min-entries needs --key: it counts entries sealed by a checkpoint signed by a "
            "given key (anyone can append entries that are not)",
        ),
        (
            {"allow_unsealed_tail": 0},
            "--allow-unsealed-tail needs --key: without a key nothing is sealed",
        ),
    ],
)
def test_options_that_mean_nothing_are_input_errors(
    made: tuple[bytes, list, list], options: dict, message: str
) -> None:
    with pytest.raises(InputError) as raised:
        check_log_bytes("a.log", made[0], **options)
    assert raised.value.message == message


def test_negative_options_are_refused_with_keys_too(made: tuple[bytes, list, list]) -> None:
    data, keys, _ = made
    for options in ({"min_entries": -1}, {"allow_unsealed_tail": -1}):
        with pytest.raises(InputError, match="must be at least 0"):
            check_log_bytes("a.log", data, public_keys=keys, **options)
    assert check(data, public_keys=keys, min_entries=0, allow_unsealed_tail=0).valid


# -- the seal ----------------------------------------------------------------------------------


def with_unsealed(data: bytes, count: int) -> bytes:
    items = entries(data)
    for n in range(count):
        items.append({"event": {"late": n}, "index": 0, "kind": "event", "prev": "", "time": "t"})
    return encode(rechain(items, 7))


def test_no_checkpoint_signed_by_a_given_key(made: tuple[bytes, list, list]) -> None:
    data, keys, _ = made
    events = [e for e in entries(data) if e["kind"] == "event"]
    problem = fails(encode(rechain(events)), public_keys=keys, allow_unsealed_tail=99)
    assert problem == LogProblem(
        0,
        "unsealed",
        "no checkpoint signed by a given key (entries 0 to 4): a log rewritten without its "
        "checkpoints looks like this",
    )
    single = fails(encode(rechain(events[:1])), public_keys=keys, allow_unsealed_tail=99)
    assert "no checkpoint signed by a given key (entry 0):" in single.message


@pytest.mark.parametrize(("count", "allowed"), [(1, 0), (2, 1), (3, 2)])
def test_one_unsealed_entry_more_than_allowed_fails(
    made: tuple[bytes, list, list], count: int, allowed: int
) -> None:
    data, keys, _ = made
    unsealed = with_unsealed(data, count)
    ok = check(unsealed, public_keys=keys, allow_unsealed_tail=count)
    assert ok.valid and (ok.entries, ok.sealed, ok.unsealed) == (7 + count, 7, count)
    problem = fails(unsealed, public_keys=keys, allow_unsealed_tail=allowed)
    where = "entry 7" if count == 1 else f"entries 7 to {6 + count}"
    assert problem == LogProblem(
        7,
        "unsealed",
        f"no signed checkpoint covers {where} (after the last, entry 6): {count} unsealed "
        f"where --allow-unsealed-tail allows {allowed}",
    )


def test_the_default_allows_no_unsealed_entry(made: tuple[bytes, list, list]) -> None:
    data, keys, _ = made
    assert fails(with_unsealed(data, 1), public_keys=keys).kind == "unsealed"


def test_the_seal_is_the_last_checkpoint(made: tuple[bytes, list, list]) -> None:
    data, keys, _ = made
    items = entries(data)[:4]  # ends with checkpoint 3: sealed 4
    result = check(encode(items), public_keys=keys)
    assert result.valid and (result.sealed, result.unsealed) == (4, 0)
    result = check(encode(items[:3]), public_keys=keys, allow_unsealed_tail=3)
    assert not result.valid and result.sealed == 0


@pytest.mark.parametrize("expected", [7, 8, 20])
def test_min_entries_counts_only_sealed_entries(
    made: tuple[bytes, list, list], expected: int
) -> None:
    data, keys, _ = made
    padded = with_unsealed(data, 13)  # 20 entries, 7 of them sealed
    options = {"public_keys": keys, "allow_unsealed_tail": 13, "min_entries": expected}
    if expected == 7:
        assert check(padded, **options).valid
        return
    assert fails(padded, **options) == LogProblem(
        7,
        "truncated",
        f"7 entries are sealed by a checkpoint signed by a given key where at least {expected} "
        "were expected: entries were removed at the end",
    )


def test_unsealed_is_reported_before_truncated(made: tuple[bytes, list, list]) -> None:
    data, keys, _ = made
    assert fails(with_unsealed(data, 2), public_keys=keys, min_entries=99).kind == "unsealed"


def test_a_problem_in_the_chain_comes_before_the_seal(made: tuple[bytes, list, list]) -> None:
    data, keys, _ = made
    items = entries(data)
    items[5]["event"]["n"] = 50
    result = check(encode(items), public_keys=keys, min_entries=99)
    assert result.problem is not None and result.problem.kind == "edited"
    assert result.sealed == 4  # the last checkpoint that held before the problem


# -- line by line ------------------------------------------------------------------------------


def test_a_line_that_is_not_an_entry(made: tuple[bytes, list, list]) -> None:
    data, _, _ = made
    raw = data.splitlines(keepends=True)
    raw[2] = b"[]\n"
    problem = fails(b"".join(raw))
    assert problem == LogProblem(
        2,
        "malformed",
        "line 3 is not an entry: not a log entry (keys must be event, hash, index, kind, "
        "prev, time)",
    )


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (b'{"event":{},"event":{}}', "not JSON (duplicate key 'event'"),
        (b'{"event":NaN}', "not JSON (NaN is not allowed in JSON"),
        (b'{"a":"\xff"}', "not JSON (not valid UTF-8 text (bad byte at offset 6)"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON (nested deeper than"),
    ],
)
def test_lines_that_do_not_parse(made: tuple[bytes, list, list], line: bytes, says: str) -> None:
    raw = made[0].splitlines(keepends=True)
    raw[1] = line + b"\n"
    problem = fails(b"".join(raw))
    assert (problem.index, problem.kind) == (1, "malformed")
    assert problem.message.startswith(f"line 2 is not an entry: {says}")


def test_a_line_that_is_not_canonical(made: tuple[bytes, list, list]) -> None:
    raw = made[0].splitlines(keepends=True)
    raw[0] = json.dumps(json.loads(raw[0]), sort_keys=True, separators=(",", ":")).encode()
    raw[0] = raw[0].replace(b'"index":0', b'"index":0.0') + b"\n"  # same number, other spelling
    problem = fails(b"".join(raw))
    assert problem.kind == "malformed"
    assert problem.message.startswith("line 1 is not an entry: index is not")
    raw[0] = b'{"event": {"n":0}' + made[0].splitlines(keepends=True)[0][16:]
    assert fails(b"".join(raw)).message == (
        "line 1 is not an entry: not RFC 8785 canonical JSON (first difference at byte 9): "
        "mbom never writes such a line"
    )


def test_an_edited_entry(made: tuple[bytes, list, list]) -> None:
    items = entries(made[0])
    items[4]["time"] = "2020-01-01T00:00:00.000000Z"
    assert fails(encode(items)) == LogProblem(
        4, "edited", "entry 4 was edited: it no longer matches its hash"
    )


# -- where an entry is not at its place --------------------------------------------------------


def test_a_second_entry_with_the_same_index(made: tuple[bytes, list, list]) -> None:
    items = entries(made[0])
    items.insert(2, seal(dict(items[1], event={"forged": True})))  # a second entry 1 at line 3
    assert fails(encode(items)) == LogProblem(
        1, "inserted", "line 3: a second entry claims index 1: an entry was inserted"
    )


def test_reordered_entries(made: tuple[bytes, list, list]) -> None:
    items = entries(made[0])
    items[1], items[2] = items[2], items[1]
    assert fails(encode(items)) == LogProblem(
        1,
        "reordered",
        "line 2 holds entry 2 but entry 1 comes later: entries were reordered",
    )


@pytest.mark.parametrize(
    ("cut", "message"),
    [
        (slice(2, 3), "entry 2 missing before entry 3: deleted"),
        (slice(2, 4), "entries 2 to 3 missing before entry 4: deleted"),
    ],
)
def test_deleted_entries(made: tuple[bytes, list, list], cut: slice, message: str) -> None:
    items = entries(made[0])
    del items[cut]
    assert fails(encode(items)) == LogProblem(2, "deleted", message)


def test_the_first_entry_deleted(made: tuple[bytes, list, list]) -> None:
    assert fails(encode(entries(made[0])[1:])) == LogProblem(
        0, "deleted", "entry 0 missing before entry 1: deleted"
    )


def test_span() -> None:
    assert (span(3, 3), span(3, 4), span(0, 9)) == ("entry 3", "entries 3 to 4", "entries 0 to 9")


# -- the chain ---------------------------------------------------------------------------------


def test_an_entry_from_elsewhere_is_blamed_on_itself(made: tuple[bytes, list, list]) -> None:
    items = entries(made[0])
    items[2] = seal(dict(items[2], prev="ab" * 32, event={"from": "another log"}))
    assert fails(encode(items)) == LogProblem(
        2,
        "replaced",
        "entry 2 does not chain to entry 1 (its prev is abababababab…) and entry 3 does not "
        "chain to it: entry 2 was replaced by an entry from another log or another position",
    )


def test_an_entry_edited_and_rehashed_breaks_the_chain_after_it(
    made: tuple[bytes, list, list],
) -> None:
    items = entries(made[0])
    old = items[1]["hash"]
    items[1] = seal(dict(items[1], event={"n": 100}))
    assert fails(encode(items)) == LogProblem(
        2,
        "chain",
        f"entry 2 does not chain to entry 1 (its prev is {old[:12]}…): entry 1 was edited and "
        "re-hashed, or entries between them were deleted and the rest renumbered and "
        "re-chained",
    )


def test_the_last_entry_replaced(made: tuple[bytes, list, list]) -> None:
    items = entries(made[0])[:3]
    items[2] = seal(dict(items[2], prev="cd" * 32))
    assert fails(encode(items)) == LogProblem(
        2,
        "chain",
        "entry 2 does not chain to entry 1 (its prev is cdcdcdcdcdcd…): entry 1 was edited and "
        "re-hashed, or entries between them were deleted and the rest renumbered and "
        "re-chained, or entry 2 was replaced",
    )


def test_a_chain_break_before_a_malformed_line(made: tuple[bytes, list, list]) -> None:
    items = entries(made[0])
    items[2] = seal(dict(items[2], prev="ef" * 32))
    raw = encode(items).splitlines(keepends=True)
    raw[3] = b"garbage\n"  # the next line says nothing about entry 2
    problem = fails(b"".join(raw))
    assert (problem.index, problem.kind) == (2, "chain")
    assert not problem.message.endswith("was replaced")


@pytest.mark.parametrize(("count", "last"), [(1, ", or entry 0 was replaced"), (2, "")])
def test_the_first_entry_must_start_the_chain(
    made: tuple[bytes, list, list], count: int, last: str
) -> None:
    items = entries(made[0])[:count]
    items[0] = seal(dict(items[0], prev="12" * 32))
    if count == 2:
        items[1] = seal(dict(items[1], prev=items[0]["hash"]))
    assert fails(encode(items)) == LogProblem(
        0,
        "chain",
        "entry 0 does not chain to the start of the log (its prev is 121212121212…): entries "
        f"before it were deleted and the rest renumbered and re-chained{last}",
    )


def test_the_first_entry_replaced(made: tuple[bytes, list, list]) -> None:
    items = entries(made[0])[:2]
    items[0] = seal(dict(items[0], prev="34" * 32))
    problem = fails(encode(items))
    assert (problem.index, problem.kind) == (0, "replaced")
    assert problem.message.startswith("entry 0 does not chain to the start of the log")


# -- checkpoints -------------------------------------------------------------------------------


def test_a_checkpoint_over_a_rewritten_history(made: tuple[bytes, list, list]) -> None:
    items = entries(made[0])
    items[5]["event"]["n"] = 55
    rechain(items, 5)  # consistent chain; checkpoint 6's root no longer matches
    assert fails(encode(items)) == LogProblem(
        6,
        "checkpoint",
        "entry 6: checkpoint tree head does not match the entries before it: an earlier entry "
        "was edited, replaced or reordered (the change is among entries 3 to 5)",
    )
    items = entries(made[0])
    items[0]["event"]["n"] = 55
    rechain(items)
    assert fails(encode(items)).message.endswith("(the change is among entries 0 to 2)")


def test_a_checkpoint_signed_by_another_key(made: tuple[bytes, list, list]) -> None:
    data, keys, other = made
    hint = entries(data)[3]["event"]["keyHint"]
    assert fails(data, public_keys=other) == LogProblem(
        3,
        "checkpoint",
        f"entry 3: checkpoint is signed by key {hint}, not by a key given (the change is "
        "among entries 0 to 2)",
    )
    assert check(data, public_keys=[*other, *keys]).valid


def test_checkpoint_statuses_when_the_log_fails_later(made: tuple[bytes, list, list]) -> None:
    data, keys, _ = made
    items = entries(data)
    items[6]["event"]["signature"] = items[3]["event"]["signature"]
    result = check(encode(rechain(items, 6)), public_keys=keys)
    assert result.problem == LogProblem(
        6,
        "checkpoint",
        "entry 6: checkpoint signature does not verify (the change is among entries 3 to 5)",
    )
    assert [(c.index, c.tree_size, c.status) for c in result.checkpoints] == [(3, 3, "verified")]
    assert result.entries == 6 and result.sealed == 4


# -- the bytes after the last newline ----------------------------------------------------------


def test_a_torn_tail_is_kept_and_reported(made: tuple[bytes, list, list]) -> None:
    data, keys, _ = made
    torn = data.splitlines(keepends=True)[1][:70]
    result = check(data + torn, public_keys=keys)
    assert result.valid and (result.lines, result.entries, result.sealed) == (7, 7, 7)
    assert (result.tail, result.torn_tail) == (torn, 70)
    assert result.to_json()["tornTail"] == 70
    assert result.to_json()["tornTailPreview"] == torn[:64].decode() + "…"


def test_a_whole_entry_without_its_newline(made: tuple[bytes, list, list]) -> None:
    data, keys, _ = made
    unterminated = with_unsealed(data, 1)[:-1]
    result = check(unterminated, public_keys=keys, allow_unsealed_tail=1)
    assert result.problem == LogProblem(
        7,
        "unterminated",
        "entry 7 has no newline: an append writes the entry and its newline at once, so the "
        "last entry was written or edited by something else",
    )
    assert (result.lines, result.entries, result.tail) == (8, 8, b"")
    assert check(data[:-1]).problem == LogProblem(
        6,
        "unterminated",
        "entry 6 has no newline: an append writes the entry and its newline at once, so the "
        "last entry was written or edited by something else",
    )


def test_an_edited_entry_without_its_newline_is_named(made: tuple[bytes, list, list]) -> None:
    items = entries(made[0])
    items[6]["time"] = "later"
    assert fails(encode(items, newline=False)) == LogProblem(
        6, "edited", "entry 6 was edited: it no longer matches its hash"
    )


def test_bytes_no_append_writes(made: tuple[bytes, list, list]) -> None:
    data, keys, _ = made
    result = check(data + b"\\ \x7f", public_keys=keys)
    assert result.problem == LogProblem(
        7,
        "malformed",
        "the 3 bytes after the last newline are not the start of an entry, so not an "
        "interrupted append: \\x5c \\x7f",
    )
    assert (result.tail, result.lines, result.sealed) == (b"", 7, 7)


def test_a_problem_before_the_tail_is_reported_first(made: tuple[bytes, list, list]) -> None:
    items = entries(made[0])
    items[1]["event"]["n"] = 10
    for tail in (b"junk", canonical_json(items[2])):
        problem = fails(encode(items) + tail)
        assert (problem.index, problem.kind) == (1, "edited")


def test_problem_kinds_are_the_documented_ones() -> None:
    with pytest.raises(ValueError, match="unknown log problem kind 'tampered'"):
        LogProblem(0, "tampered", "")
    assert [LogProblem(0, kind, "").kind for kind in PROBLEMS] == list(PROBLEMS)
