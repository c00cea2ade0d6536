"""Each way the tamper-evident log could be rewritten (issue #10), reproduced on real logs.

The logs are made with `mbom log append --key` and keys from `mbom keygen`, so checkpoints are
really signed; the attacker edits the file with the tools anyone has (no private key) and
`mbom log verify` must exit 1 naming the entry.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mbom.canonical import canonical_json
from mbom.forensics.log import entry_hash
from tests.forensics.conftest import run_mbom

EVENTS = 7  # with --checkpoint-every 3: events 0-2, checkpoint 3, 4-5, checkpoint 6, 7-8, cp 9
ENTRIES = 10


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``log.pem``/``log.pub`` from `mbom keygen`; ``a.log`` and ``b.log`` sealed by them."""
    folder = tmp_path_factory.mktemp("made")
    assert run_mbom("keygen", str(folder / "log")).returncode == 0
    for name in ("a", "b"):
        for n in range(EVENTS):
            event = json.dumps({"action": "train", "log": name, "n": n})
            appended = run_mbom(
                "log", "append", str(folder / f"{name}.log"), "--event", event,
                "--key", str(folder / "log.pem"), "--checkpoint-every", "3",
            )  # fmt: skip
            assert appended.returncode == 0, appended.stderr
    return folder


@pytest.fixture
def log(made: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "audit.log"
    shutil.copyfile(made / "a.log", copy)
    return copy


def entries_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def write(path: Path, entries: list[dict], *, last_newline: bool = True) -> None:
    data = b"".join(canonical_json(e) + b"\n" for e in entries)
    path.write_bytes(data if last_newline else data[:-1])


def rechain(entries: list[dict], start: int = 0) -> list[dict]:
    """What a forger without the key does: renumber, re-chain and re-hash from ``start``."""
    for position in range(start, len(entries)):
        entry = entries[position]
        entry["index"] = position
        entry["prev"] = entries[position - 1]["hash"] if position else "0" * 64
        entry["hash"] = entry_hash({k: v for k, v in entry.items() if k != "hash"})
    return entries


def verify(log: Path, made: Path, *extra: str) -> tuple[int, str]:
    result = run_mbom("log", "verify", str(log), "--key", str(made / "log.pub"), *extra)
    return result.returncode, result.stdout + result.stderr


def test_the_log_made_by_the_cli_is_sealed(log: Path, made: Path) -> None:
    entries = entries_of(log)
    assert len(entries) == ENTRIES
    assert [e["index"] for e in entries if e["kind"] == "checkpoint"] == [3, 6, 9]
    result = run_mbom("log", "verify", str(log), "--key", str(made / "log.pub"), "--format", "json")
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["valid"]
    assert (report["sealedEntries"], report["unsealedEntries"]) == (ENTRIES, 0)
    assert [c["status"] for c in report["checkpoints"]] == ["verified"] * 3


def test_history_rewritten_without_checkpoints_fails_with_the_key(log: Path, made: Path) -> None:
    entries = [e for e in entries_of(log) if e["kind"] == "event"]
    entries[1]["event"]["action"] = "nothing happened"
    write(log, rechain(entries))
    unkeyed = run_mbom("log", "verify", str(log))
    assert unkeyed.returncode == 0  # a consistent chain: only a signature can tell
    assert "nothing sealed: give --key PUB" in unkeyed.stdout
    code, output = verify(log, made)
    assert code == 1
    assert "NOT SEALED at entry 0 (unsealed)" in output
    assert "no checkpoint signed by a given key (entries 0 to 6)" in output
    code, output = verify(log, made, "--allow-unsealed-tail", "100")
    assert code == 1 and "no checkpoint signed by a given key" in output  # 0 is never enough


def test_padding_does_not_meet_min_entries(log: Path, made: Path) -> None:
    write(log, entries_of(log)[:4])  # cut back to the first checkpoint (entry 3)...
    for n in range(ENTRIES - 4):  # ...and pad it back to its length with real appends
        padded = run_mbom("log", "append", str(log), "--event", json.dumps({"pad": n}))
        assert padded.returncode == 0, padded.stderr
    minimum = ("--min-entries", str(ENTRIES))
    code, output = verify(log, made, *minimum)
    assert code == 1
    assert "NOT SEALED at entry 4 (unsealed): no signed checkpoint covers entries 4 to 9 " in output
    code, output = verify(log, made, *minimum, "--allow-unsealed-tail", "6")
    assert code == 1
    assert "NOT SEALED at entry 4 (truncated): 4 entries are sealed" in output
    assert f"at least {ENTRIES} were expected" in output


def test_entries_after_the_last_checkpoint_are_unsealed(log: Path, made: Path) -> None:
    for n in range(2):
        assert run_mbom("log", "append", str(log), "--event", f'{{"late":{n}}}').returncode == 0
    entries = entries_of(log)
    entries[10]["event"]["late"] = "rewritten"
    write(log, rechain(entries, 10))
    code, output = verify(log, made)
    assert code == 1
    assert (
        "NOT SEALED at entry 10 (unsealed): no signed checkpoint covers entries 10 to 11 " in output
    )
    assert "2 unsealed where --allow-unsealed-tail allows 0" in output
    code, output = verify(log, made, "--allow-unsealed-tail", "2")
    assert code == 0
    assert "unsealed: entries 10 to 11 after the last signed checkpoint" in output
    assert "valid, 12 entries, 3 checkpoints, 10 sealed, 2 unsealed" in output
    code, output = verify(log, made, "--allow-unsealed-tail", "1")
    assert code == 1 and "2 unsealed where --allow-unsealed-tail allows 1" in output


def test_a_line_with_a_duplicate_key_fails(log: Path, made: Path) -> None:
    raw = log.read_bytes().splitlines(keepends=True)
    # A reader that keeps the first "event" sees an approval; the hash covers the last one.
    raw[1] = b'{"event":{"action":"approved"},' + raw[1][1:]
    log.write_bytes(b"".join(raw))
    code, output = verify(log, made)
    assert code == 1
    assert (
        "TAMPERED at entry 1 (malformed): line 2 is not an entry: not JSON (duplicate key "
        in output
    )
    assert "'event'" in output


def test_a_nested_duplicate_key_fails(log: Path, made: Path) -> None:
    raw = log.read_bytes().splitlines(keepends=True)
    raw[2] = raw[2].replace(b'{"event":{', b'{"event":{"action":"deploy",', 1)
    log.write_bytes(b"".join(raw))
    code, output = verify(log, made)
    assert code == 1 and "TAMPERED at entry 2 (malformed)" in output
    assert "duplicate key 'action'" in output


def test_a_line_that_is_not_canonical_fails(log: Path, made: Path) -> None:
    raw = log.read_bytes().splitlines(keepends=True)
    raw[4] = json.dumps(json.loads(raw[4]), indent=None).encode() + b"\n"  # same JSON, spaced
    log.write_bytes(b"".join(raw))
    code, output = verify(log, made)
    assert code == 1
    assert (
        "TAMPERED at entry 4 (malformed): line 5 is not an entry: not RFC 8785 canonical" in output
    )
    assert "first difference at byte 9" in output  # after {"event":


def test_an_edited_last_entry_without_newline_is_not_a_torn_tail(log: Path, made: Path) -> None:
    assert run_mbom("log", "append", str(log), "--event", '{"late":1}').returncode == 0
    entries = entries_of(log)
    entries[10]["event"]["late"] = 2
    write(log, entries, last_newline=False)
    tampered = log.read_bytes()
    unkeyed = run_mbom("log", "verify", str(log))
    assert unkeyed.returncode == 1
    assert "TAMPERED at entry 10 (edited): entry 10 was edited" in unkeyed.stdout
    appended = run_mbom("log", "append", str(log), "--event", '{"next":1}')
    assert appended.returncode == 1
    assert "not an interrupted append (a whole JSON value" in appended.stderr
    repaired = run_mbom("log", "repair", str(log))
    assert repaired.returncode == 1 and "refusing to cut" in repaired.stderr
    assert log.read_bytes() == tampered  # nothing was deleted
    write(log, rechain(entries, 10), last_newline=False)  # the forger also re-hashes it
    code, output = verify(log, made, "--allow-unsealed-tail", "1")
    assert code == 1
    assert "TAMPERED at entry 10 (unterminated): entry 10 has no newline" in output


def test_an_entry_from_another_log_is_blamed_on_itself(log: Path, made: Path) -> None:
    raw = log.read_bytes().splitlines(keepends=True)
    foreign = (made / "b.log").read_bytes().splitlines(keepends=True)
    raw[5] = foreign[5]  # a whole, well-hashed entry 5 signed into another log
    log.write_bytes(b"".join(raw))
    code, output = verify(log, made)
    assert code == 1
    assert "TAMPERED at entry 5 (replaced): entry 5 does not chain to entry 4" in output
    assert "entry 6 does not chain to it" in output and "verified: entries 0 to 4" in output
    raw[5], raw[9] = (made / "a.log").read_bytes().splitlines(keepends=True)[5], foreign[9]
    log.write_bytes(b"".join(raw))  # the last entry: a checkpoint signed by the same key
    code, output = verify(log, made)
    assert code == 1
    assert "TAMPERED at entry 9 (chain): entry 9 does not chain to entry 8" in output
    assert "or entry 9 was replaced" in output


def test_an_interrupted_append_is_reported_and_cut_only_by_repair(log: Path, made: Path) -> None:
    whole = log.read_bytes()
    torn = (made / "b.log").read_bytes()[:40]  # a crash 40 bytes into writing a line
    log.write_bytes(whole + torn)
    code, output = verify(log, made)
    assert code == 0
    assert "incomplete (40 bytes after entry 9, an interrupted append?): " in output
    assert torn.decode() in output and "torn tail of 40 bytes" in output
    appended = run_mbom("log", "append", str(log), "--event", '{"n":10}')
    assert appended.returncode == 2
    errors = [line for line in appended.stderr.splitlines() if line.startswith("mbom: error:")]
    assert len(errors) == 1 and f"run mbom log repair {log} to cut it" in errors[0]
    assert log.read_bytes() == whole + torn
    repaired = run_mbom("log", "repair", str(log))
    assert repaired.returncode == 0, repaired.stderr
    assert f"cut 40 bytes at offset {len(whole)}" in repaired.stdout
    assert torn.decode() in repaired.stdout
    assert log.read_bytes() == whole
    again = run_mbom("log", "repair", str(log), "--format", "json")
    assert again.returncode == 0 and json.loads(again.stdout)["bytes"] == 0
    assert run_mbom("log", "append", str(log), "--event", '{"n":10}').returncode == 0
    assert verify(log, made, "--allow-unsealed-tail", "1")[0] == 0


def test_repair_refuses_bytes_no_append_writes(log: Path, made: Path) -> None:
    whole = log.read_bytes()
    log.write_bytes(whole + b"rm -rf /\x01")
    code, output = verify(log, made)
    assert code == 1
    assert "TAMPERED at entry 10 (malformed): the 9 bytes after the last newline" in output
    assert "rm -rf /\\x01" in output
    repaired = run_mbom("log", "repair", str(log))
    assert repaired.returncode == 1 and "not the start of an entry" in repaired.stderr
    assert log.read_bytes() == whole + b"rm -rf /\x01"


def test_seal_options_need_a_key(log: Path) -> None:
    for option in (("--min-entries", "3"), ("--allow-unsealed-tail", "1")):
        result = run_mbom("log", "verify", str(log), *option)
        assert result.returncode == 2
        last = result.stderr.splitlines()[-1]
        assert last.startswith("mbom: error: ") and "needs --key" in last
