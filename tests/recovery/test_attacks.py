"""Attacks on the journal and the checkpoints while the job is down: none of them verifies."""

from __future__ import annotations

import json
import os
import shutil

import pytest

import mbom
from mbom.attest import load_signing_key, write_key_pair
from mbom.errors import VerificationError
from mbom.forensics.log import append_event
from mbom.recovery import recover
from mbom.recovery.journal import JOURNAL_TYPE
from tests.helpers.cli import run_cli
from tests.recovery.conftest import DeadRun, record_options, write_checkpoint


def _lines(run: DeadRun) -> list[dict]:
    return [json.loads(line) for line in run.journal.read_bytes().splitlines()]


def _write(run: DeadRun, entries: list[dict]) -> None:
    from mbom.canonical import canonical_json

    run.journal.write_bytes(b"".join(canonical_json(e) + b"\n" for e in entries))


def _checkpoint_events(run: DeadRun) -> list[dict]:
    return [e for e in _lines(run) if e["event"].get("action") == "checkpoint"]


def test_an_edited_journal_entry_does_not_verify(dead_run: DeadRun) -> None:
    """The attacker replaces checkpoint-3 and edits its entry to the new digest."""
    (dead_run.checkpoint(3) / "optimizer.bin").write_bytes(b"evil" * 1024)
    from mbom.hashing import hash_tree

    forged = hash_tree(dead_run.checkpoint(3)).root()
    entries = _lines(dead_run)
    for entry in entries:
        if entry["event"].get("step") == 3:
            entry["event"]["digest"] = forged
    _write(dead_run, entries)
    found = recover(dead_run.run_dir, keys=[dead_run.pub])
    assert found.exit_code == 1 and found.checkpoint is None
    assert found.problem.startswith("journal edited")
    result = run_cli("recover", dead_run.run_dir, "--key", dead_run.pub)
    assert result.returncode == 1 and "journal does not verify" in result.stderr
    # even without --key, the hash chain catches an edit
    assert recover(dead_run.run_dir).exit_code == 1
    with pytest.raises(VerificationError, match="does not verify"):
        mbom.record(
            dead_run.run_dir / "bom.cdx.json", **record_options(dead_run, resume="auto")
        ).start()


def test_a_rewritten_journal_without_the_key_does_not_verify(dead_run: DeadRun, tmp_path) -> None:
    """Replace checkpoint-3, then rewrite the whole journal (re-hashed, re-chained, sealed
    with the attacker's own key): valid as a log, but not signed by the run's key."""
    (dead_run.checkpoint(3) / "optimizer.bin").write_bytes(b"evil" * 1024)
    events = [e["event"] for e in _lines(dead_run) if e["kind"] == "event"]
    from mbom.hashing import hash_tree

    tree = hash_tree(dead_run.checkpoint(3))
    for event in events:
        if event.get("step") == 3:
            event["digest"] = tree.root()
            event["files"] = [
                {"path": f.path, "size": f.size, "sha256": f.digests["sha256"]} for f in tree.files
            ]
    dead_run.journal.unlink()
    attacker, _ = write_key_pair(tmp_path / "attacker")
    for event in events:
        append_event(dead_run.journal, event, key=load_signing_key(attacker), seal=True)
    assert recover(dead_run.run_dir).checkpoint.step == 3  # no key: only the chain is checked
    found = recover(dead_run.run_dir, keys=[dead_run.pub])
    assert found.exit_code == 1 and "not by a key given" in found.problem
    # and rewritten without any checkpoints at all
    dead_run.journal.unlink()
    for event in events:
        append_event(dead_run.journal, event)
    found = recover(dead_run.run_dir, keys=[dead_run.pub])
    assert found.exit_code == 1 and found.problem.startswith("journal unsealed")


def test_an_appended_entry_for_a_replaced_checkpoint_is_never_chosen(dead_run: DeadRun) -> None:
    """The attacker writes checkpoint-4 and appends a well-chained entry for it (no key)."""
    write_checkpoint(dead_run.run_dir, 4)
    last = _checkpoint_events(dead_run)[-1]["event"]
    from mbom.hashing import hash_tree

    tree = hash_tree(dead_run.checkpoint(4))
    forged = {
        **last,
        "step": 4,
        "path": "checkpoint-4",
        "digest": tree.root(),
        "files": [
            {"path": f.path, "size": f.size, "sha256": f.digests["sha256"]} for f in tree.files
        ],
        "parent": last["digest"],
        "parentEntry": _checkpoint_events(dead_run)[-1]["index"],
    }
    append_event(dead_run.journal, forged)
    found = recover(dead_run.run_dir, keys=[dead_run.pub])
    assert found.checkpoint.step == 3
    assert [(s.checkpoint.step, s.reason) for s in found.skipped] == [(4, "unsealed")]


@pytest.mark.parametrize("where", ["absolute", "dotdot", "symlink"])
def test_a_journal_line_pointing_outside_the_run_dir_is_never_followed(
    dead_run: DeadRun, tmp_path, where: str
) -> None:
    outside = write_checkpoint(tmp_path / "elsewhere", 9)
    if where == "absolute":
        path = str(outside)
    elif where == "dotdot":
        path = os.path.relpath(outside, dead_run.run_dir)
    else:
        (dead_run.run_dir / "link").symlink_to(outside, target_is_directory=True)
        path = "link"
    from mbom.hashing import hash_tree

    tree = hash_tree(outside)
    last = _checkpoint_events(dead_run)[-1]
    append_event(
        dead_run.journal,
        {
            **last["event"],
            "step": 9,
            "path": path,
            "digest": tree.root(),
            "files": [
                {"path": f.path, "size": f.size, "sha256": f.digests["sha256"]} for f in tree.files
            ],
            "parent": last["event"]["digest"],
            "parentEntry": last["index"],
        },
    )
    found = recover(dead_run.run_dir)  # no key: the entry chains, but points outside
    assert found.checkpoint.step == 3
    assert [(s.checkpoint.step, s.reason) for s in found.skipped] == [(9, "outside")]


def test_a_checkpoint_swapped_with_an_older_one_is_caught(dead_run: DeadRun) -> None:
    """Roll back: checkpoint-3's files replaced by checkpoint-1's (real files, wrong step)."""
    shutil.rmtree(dead_run.checkpoint(3))
    shutil.copytree(dead_run.checkpoint(1), dead_run.checkpoint(3))
    found = recover(dead_run.run_dir, keys=[dead_run.pub])
    assert found.checkpoint.step == 2 and found.skipped[0].reason == "altered"


def test_events_of_another_run_are_not_used(dead_run: DeadRun) -> None:
    append_event(
        dead_run.journal,
        {"journal": JOURNAL_TYPE, "action": "checkpoint", "run": "someone-else", "step": 7},
    )
    found = recover(dead_run.run_dir)
    assert found.checkpoint.step == 3 and found.run.malformed[0][1].startswith("belongs to run")
