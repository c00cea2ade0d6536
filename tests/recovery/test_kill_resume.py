"""A training script killed with SIGKILL at random instants 30 times, restarted each time with
``resume="auto"``, with the newest verified checkpoint corrupted three times between restarts:
at the end the BOM's chain runs unbroken from step 1 to the last step, no step lost or
duplicated, every checkpoint and the journal verify, and every corruption was named."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mbom.attest import write_key_pair
from mbom.attest.keys import load_public_key
from mbom.forensics.log import verify_log
from mbom.hashing import hash_tree
from mbom.recovery import recover
from tests.recovery.helpers import bom_chain, bom_properties, digest, journal_events

SCRIPT = Path(__file__).with_name("train_script.py")
STEPS = 400
KILLS = 30


def _flip_byte(checkpoint: Path) -> tuple[str, str]:
    target = checkpoint / "optimizer.bin"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    return "altered", "optimizer.bin"


def _truncate(checkpoint: Path) -> tuple[str, str]:
    target = checkpoint / "optimizer.bin"
    target.write_bytes(target.read_bytes()[:1000])  # a torn write
    return "truncated", "optimizer.bin"


def _replace_optimizer(checkpoint: Path) -> tuple[str, str]:
    target = checkpoint / "optimizer.bin"
    size = target.stat().st_size
    target.unlink()
    target.write_bytes(b"\x42" * size)  # another optimizer state, same size
    return "altered", "optimizer.bin"


#: (after this many kills, corruption): applied to the newest verified checkpoint.
CORRUPTIONS = ((8, _flip_byte), (16, _truncate), (24, _replace_optimizer))


def _start(run_dir: Path, key: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), str(run_dir), str(STEPS), str(key)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )


def _aim(process: subprocess.Popen[bytes], log: Path, rng: random.Random, life: int) -> None:
    """Wait for a random instant of this life: during start-up and recovery (every fifth
    life), else a random number of recorded steps into training plus a random delay, so the
    kill lands anywhere in writing, hashing, journaling or sealing a checkpoint."""
    if life % 5 == 0:
        _sleep(process, rng.uniform(0.0, 0.6))
        return
    seen = log.read_text().count("\n") if log.exists() else 0
    wanted = rng.randint(1, 12) + 1  # its "start" line, then that many steps
    for _ in range(60_000):  # wait on progress, not on a clock (a loaded box is slower)
        if process.poll() is not None:
            return
        if log.exists() and log.read_text().count("\n") - seen >= wanted:
            break
        _sleep(process, 0.002)
    _sleep(process, rng.uniform(0.0, 0.004))


def _sleep(process: subprocess.Popen[bytes], seconds: float) -> None:
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=seconds)


def test_thirty_kills_leave_one_unbroken_verified_chain(tmp_path: Path) -> None:
    seed = int(os.environ.get("MBOM_KILL_SEED", "20261202"))
    rng = random.Random(seed)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    key, pub = write_key_pair(tmp_path / "k")
    public = load_public_key(pub)
    kills, corrupted, pending = 0, [], list(CORRUPTIONS)
    while kills < KILLS:
        process = _start(run_dir, key)
        _aim(process, run_dir / "starts.log", rng, kills)
        if process.poll() is not None:
            stderr = process.stderr.read().decode() if process.stderr else ""
            pytest.fail(f"seed {seed}: a life ended by itself (rc {process.returncode}): {stderr}")
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
        if pending and kills >= pending[0][0]:
            found = recover(run_dir, keys=[public])
            assert found.problem is None, found.problem
            if found.checkpoint is not None:  # else nothing journaled yet: after the next kill
                reason, name = pending.pop(0)[1](Path(found.path))
                corrupted.append((found.checkpoint.step, reason, name))
    final = _start(run_dir, key)
    _out, err = final.communicate(timeout=300)
    assert final.returncode == 0, f"seed {seed}: {err.decode()}"

    # One unbroken chain 1..STEPS: no step lost, none duplicated, each parent the one before.
    chain = bom_chain(run_dir / "bom.cdx.json")
    assert [int(step["mbom:checkpoint:step"]) for step in chain] == list(range(1, STEPS + 1))
    assert "mbom:checkpoint:parent" not in chain[0]
    for before, after in itertools.pairwise(chain):
        assert after["mbom:checkpoint:parent"] == digest(before)
    # Every entry verifies: each checkpoint's bytes, and the journal with its signed seals.
    for step in chain:
        tree = hash_tree(step["mbom:checkpoint:path"], cache=False)
        assert tree.root() == digest(step), step["mbom:checkpoint:path"]
    journal = run_dir / "bom.journal.jsonl"
    checked = verify_log(journal, public_keys=[public])
    assert checked.valid and checked.unsealed == 0, checked.problem

    # One run: one run-start, every event of the same run id; each restart that got as far as
    # recovering wrote a recovery event, and the BOM carries them all.
    events = journal_events(journal)
    starts = [e for _, e in events if e["action"] == "run-start"]
    assert len(starts) == 1
    assert {e["run"] for _, e in events} == {starts[0]["run"]}
    recoveries = [e for _, e in events if e["action"] == "recovery"]
    properties = bom_properties(run_dir / "bom.cdx.json")
    assert properties["mbom:run:status"] == "complete"
    assert properties["mbom:run:id"] == starts[0]["run"]
    assert int(properties["mbom:run:recoveries"]) == len(recoveries) >= 1
    lives = [line for line in (run_dir / "starts.log").read_text().splitlines() if "start" in line]
    assert len(lives) >= len(recoveries) >= KILLS * 3 // 5  # most kills landed in training

    # Each corruption was named by a later recovery (file, reason, expected vs actual), and
    # the run resumed from an earlier checkpoint that time.
    assert len(corrupted) == 3, corrupted
    for step, reason, name in corrupted:
        naming = [
            (r, s)
            for r in recoveries
            for s in r["skipped"]
            if s["step"] == step and s["reason"] == reason
        ]
        assert naming, (step, reason, [r["skipped"] for r in recoveries])
        recovery, skipped = naming[0]
        assert [f["file"] for f in skipped["files"]] == [name]
        problem = skipped["files"][0]
        assert problem["expected"] != problem["actual"] and problem["actual"] is not None
        assert recovery["resumedFrom"]["step"] < step

    # The final model verifies against the signed BOM.
    verified = subprocess.run(
        [
            sys.executable,
            "-m",
            "mbom.cli",
            "verify",
            str(run_dir / f"checkpoint-{STEPS}"),
            "--bundle",
            str(run_dir / "bom.cdx.json.sigstore.json"),
            "--key",
            str(pub),
        ],
        capture_output=True,
        text=True,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    print(json.dumps({"seed": seed, "kills": kills, "recoveries": len(recoveries)}))
