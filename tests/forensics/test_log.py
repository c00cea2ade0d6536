"""The tamper-evident log: every kind of tampering is found and named, checkpoints are signed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mbom.attest.keys import load_public_key, load_signing_key, write_key_pair
from mbom.canonical import canonical_json
from mbom.errors import InputError, MalformedFileError, VerificationError
from mbom.forensics.log import (
    append_checkpoint,
    append_event,
    entry_hash,
    repair_log,
    verify_log,
)
from tests.forensics.conftest import run_mbom

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_key_pair(tmp_path_factory.mktemp("keys") / "log")


def make_log(path: Path, count: int = 10, key: Path | None = None, every: int = 4) -> Path:
    signing = load_signing_key(key) if key is not None else None
    for n in range(count):
        append_event(path, {"action": "train", "n": n}, key=signing, checkpoint_every=every)
    return path


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write(path: Path, entries: list[dict]) -> None:
    path.write_bytes(b"".join(canonical_json(e) + b"\n" for e in entries))


def rehash(entries: list[dict], start: int = 0) -> list[dict]:
    """What a forger without the key does: renumber and re-chain everything from ``start``."""
    for position in range(start, len(entries)):
        entry = entries[position]
        entry["index"] = position
        entry["prev"] = entries[position - 1]["hash"] if position else "0" * 64
        seal(entry)
    return entries


def problem(path: Path, **kwargs: object) -> tuple[int, str, str]:
    result = verify_log(path, **kwargs)
    assert not result.valid
    assert result.problem is not None
    return result.problem.index, result.problem.kind, result.problem.message


def test_valid_log_and_format(tmp_path: Path) -> None:
    log = make_log(tmp_path / "a.log", 3)
    entries = lines(log)
    assert [e["index"] for e in entries] == [0, 1, 2]
    assert entries[0]["prev"] == "0" * 64
    assert entries[1]["prev"] == entries[0]["hash"]
    for raw, entry in zip(log.read_bytes().splitlines(), entries):
        assert raw == canonical_json(entry)  # each line is canonical JSON
        body = {k: v for k, v in entry.items() if k != "hash"}
        assert entry["hash"] == entry_hash(body)
    result = verify_log(log)
    assert result.valid and result.entries == 3 and result.torn_tail == 0


def seal(entry: dict) -> dict:
    """Recompute an entry's own hash, as a forger would after changing it."""
    entry["hash"] = entry_hash({k: v for k, v in entry.items() if k != "hash"})
    return entry


def edit(entries: list[dict]) -> None:
    entries[4]["event"]["n"] = 99


def edit_and_rehash(entries: list[dict]) -> None:
    entries[4]["event"]["n"] = 99
    seal(entries[4])


def delete(entries: list[dict]) -> None:
    del entries[3:5]


def insert(entries: list[dict]) -> None:
    entries.insert(5, seal(dict(entries[5], event={"action": "forged"})))


def reorder(entries: list[dict]) -> None:
    entries[6], entries[7] = entries[7], entries[6]


@pytest.mark.parametrize(
    ("tamper", "index", "kind", "says"),
    [
        (edit, 4, "edited", "entry 4 was edited"),
        (edit_and_rehash, 5, "chain", "entry 5 does not chain to entry 4"),
        (delete, 3, "deleted", "entries 3 to 4 missing"),
        (insert, 5, "inserted", "a second entry claims index 5"),
        (reorder, 6, "reordered", "entries were reordered"),
    ],
)
def test_tampering_is_found(tmp_path: Path, tamper, index: int, kind: str, says: str) -> None:
    log = make_log(tmp_path / "a.log")
    entries = lines(log)
    tamper(entries)
    write(log, entries)
    found = problem(log)
    assert found[:2] == (index, kind)
    assert says in found[2]


def test_entry_cut_short_in_the_middle(tmp_path: Path) -> None:
    log = make_log(tmp_path / "a.log")
    raw = log.read_bytes().splitlines(keepends=True)
    raw[2] = raw[2][:40] + b"\n"
    log.write_bytes(b"".join(raw))
    assert problem(log)[:2] == (2, "malformed")


def test_rewritten_history_is_caught_by_checkpoint(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    log = make_log(tmp_path / "a.log", 10, key=keys[0], every=4)
    entries = lines(log)
    assert [e["kind"] for e in entries].count("checkpoint") == 3  # at 4, 8 and 12
    entries[1]["event"]["n"] = 99
    write(log, rehash(entries, 1))  # a consistent chain, but the tree head no longer matches
    index, kind, message = problem(log)
    assert (index, kind) == (4, "checkpoint")
    assert "among entries 0 to 3" in message


def test_deleted_and_rechained_before_checkpoint(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    log = make_log(tmp_path / "a.log", 10, key=keys[0], every=4)
    entries = lines(log)
    del entries[6]  # after the first checkpoint (index 4), before the second (index 8)
    write(log, rehash(entries, 6))
    index, kind, message = problem(log)
    assert (index, kind) == (7, "checkpoint")
    assert "deleted or inserted" in message and "among entries 4 to 6" in message


def test_checkpoint_signature(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    private, public = keys
    log = make_log(tmp_path / "a.log", 5, key=private, every=4)
    ok = verify_log(log, public_keys=[load_public_key(public)], allow_unsealed_tail=1)
    assert ok.valid and [c.status for c in ok.checkpoints] == ["verified"]
    assert (ok.sealed, ok.unsealed) == (5, 1)
    assert [c.status for c in verify_log(log).checkpoints] == ["unverified"]
    # A forger recomputes the tree head over an edited history but cannot sign it.
    entries = lines(log)
    entries[0]["event"]["n"] = 42
    rehash(entries)
    from mbom.forensics._checkpoint import tree_root

    entries[4]["event"]["root"] = tree_root([e["hash"] for e in entries[:4]])
    write(log, rehash(entries, 4))
    assert verify_log(log).valid  # without the key the rewrite is consistent...
    trusted = {"public_keys": [load_public_key(public)], "allow_unsealed_tail": 1}
    index, kind, message = problem(log, **trusted)
    assert (index, kind) == (4, "checkpoint") and "signature does not verify" in message
    _, other_public = write_key_pair(tmp_path / "other")
    other = {"public_keys": [load_public_key(other_public)], "allow_unsealed_tail": 1}
    assert "not by a key given" in problem(log, **other)[2]


def test_truncation_at_the_end(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    log = make_log(tmp_path / "a.log", 7, key=keys[0], every=4)  # checkpoints at 4 and 8
    trusted = [load_public_key(keys[1])]
    entries = lines(log)
    assert verify_log(log, public_keys=trusted, min_entries=len(entries)).valid
    write(log, entries[:5])  # cut back to the first checkpoint
    assert verify_log(log, public_keys=trusted).valid  # a sealed, shorter log...
    index, kind, message = problem(log, public_keys=trusted, min_entries=len(entries))
    assert (index, kind) == (5, "truncated")  # ...but not as long as it was
    assert "5 entries are sealed" in message and f"at least {len(entries)}" in message


def test_torn_tail_reported_and_cut_only_by_repair(tmp_path: Path) -> None:
    log = make_log(tmp_path / "a.log", 4)
    whole = log.read_bytes()
    with log.open("ab") as handle:  # a crash in the middle of writing entry 4
        handle.write(b'{"event":{"n":4},"hash":"ab')
    result = verify_log(log)
    assert result.valid and result.entries == 4 and result.torn_tail == 27
    assert result.to_json()["tornTailPreview"] == '{"event":{"n":4},"hash":"ab'
    cli = run_mbom("log", "verify", str(log))
    assert cli.returncode == 0
    assert 'incomplete (27 bytes after entry 3, an interrupted append?): {"event"' in cli.stderr
    with pytest.raises(InputError, match="mbom log repair"):
        append_event(log, {"n": 4})
    assert log.read_bytes() == whole + b'{"event":{"n":4},"hash":"ab'  # nothing deleted
    repair = repair_log(log)
    assert (repair.offset, repair.cut) == (len(whole), b'{"event":{"n":4},"hash":"ab')
    assert log.read_bytes() == whole
    assert append_event(log, {"n": 4}).index == 4
    repaired = verify_log(log)
    assert repaired.valid and repaired.entries == 5 and repaired.torn_tail == 0


def test_append_refuses_bad_input(tmp_path: Path) -> None:
    with pytest.raises(MalformedFileError):
        append_event(tmp_path / "a.log", {"x": float("nan")})
    log = make_log(tmp_path / "b.log", 2)
    entries = lines(log)
    entries[-1]["event"]["n"] = 7
    write(log, entries)
    with pytest.raises(VerificationError, match="last entry"):
        append_event(log, {"n": 2})
    entries[-1]["event"]["n"] = 1
    entries[0]["event"]["n"] = 7
    write(log, entries)
    with pytest.raises(VerificationError, match="refusing to sign"):
        append_checkpoint(log, load_signing_key(write_key_pair(tmp_path / "k")[0]))


def test_cli_round_trip(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    private, public = keys
    log = str(tmp_path / "audit.log")
    first = run_mbom("log", "append", log, "--event", '{"action": "generate"}')
    assert first.returncode == 0, first.stderr
    (tmp_path / "event.json").write_text('{"action": "sign", "bom": "bom.cdx.json"}')
    second = run_mbom(
        "log", "append", log, "--event-file", str(tmp_path / "event.json"), "--format", "json"
    )
    assert json.loads(second.stdout)["index"] == 1
    checkpoint = run_mbom("log", "checkpoint", log, "--key", str(private))
    assert checkpoint.returncode == 0, checkpoint.stderr
    verified = run_mbom("log", "verify", log, "--key", str(public), "--format", "json")
    assert verified.returncode == 0, verified.stderr
    report = json.loads(verified.stdout)
    assert report["valid"] and report["checkpoints"][0]["status"] == "verified"
    shown = run_mbom("log", "show", log)
    assert '"action":"sign"' in shown.stdout and "checkpoint" in shown.stdout
    for bad, says in (
        ("[1, 2]", "the event must be a JSON object"),
        ("{not json", "JSON"),
        ('{"action": "deploy", "action": "nothing"}', "duplicate key 'action'"),
    ):
        failed = run_mbom("log", "append", log, "--event", bad)
        assert failed.returncode == 2 and failed.stderr.startswith("mbom: error: --event: ")
        assert says in failed.stderr
    entries = lines(Path(log))
    entries[0]["event"]["action"] = "nothing"
    write(Path(log), entries)
    tampered = run_mbom("log", "verify", log)
    assert tampered.returncode == 1
    assert "TAMPERED at entry 0 (edited)" in tampered.stdout
    missing = run_mbom("log", "verify", str(tmp_path / "nope.log"))
    assert missing.returncode == 2


def test_generate_and_sign_write_to_the_log(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "w.bin").write_bytes(b"weights")
    made = run_mbom(
        "generate", "--model", "model", "--no-environment", "--log", "audit.log", cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    signed = run_mbom(
        "sign", "bom.cdx.json", "--key", str(keys[0]), "--log", "audit.log", cwd=tmp_path
    )
    assert signed.returncode == 0, signed.stderr
    log = tmp_path / "audit.log"
    assert verify_log(log).valid
    entries = lines(log)
    assert [e["event"]["action"] for e in entries] == ["generate", "sign"]
    assert entries[0]["event"]["file"] == "bom.cdx.json"
    assert (
        entries[0]["event"]["sha256"]
        == hashlib.sha256((tmp_path / "bom.cdx.json").read_bytes()).hexdigest()
    )
    assert entries[1]["event"]["file"] == "bom.cdx.json.sigstore.json"
    append_checkpoint(log, load_signing_key(keys[0]))
    schema = json.loads((SCHEMAS / "log-entry.schema.json").read_text())
    for entry in lines(log):
        jsonschema.validate(entry, schema)
