"""The Transformers variant of the kill test: a real (tiny, CPU) ``Trainer`` killed with
SIGKILL 4 times (each life pays several seconds of torch/transformers start-up, so fewer
kills than the plain loop's 30), one verified checkpoint corrupted between restarts, and
``MbomCallback.resume_from_checkpoint`` resuming each time: one unbroken chain at the end."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="needs torch==2.13.0 (CPU): pip install 'mbom[hf]'")
pytest.importorskip("transformers", reason="needs pip install 'mbom[hf]'")
pytest.importorskip("accelerate", reason="the Trainer needs accelerate: pip install 'mbom[hf]'")

import contextlib

from mbom.attest import write_key_pair
from mbom.recovery import recover
from tests.helpers.cli import run_cli
from tests.recovery.helpers import bom_chain, digest, journal_events

SCRIPT = Path(__file__).with_name("hf_train_script.py")
# Enough steps that 4 lives of up to 3 journaled checkpoints each (plus what lands while the
# kill is on its way, more on a loaded machine) never reach the end before the last kill.
STEPS, KILLS = 28, 4


def _journaled(journal: Path) -> int:
    if not journal.exists():
        return 0
    return journal.read_bytes().count(b'"action":"checkpoint"')


def test_trainer_killed_and_resumed_keeps_one_chain(tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("MBOM_KILL_SEED", "7")))
    run_dir = tmp_path / "run"
    key, pub = write_key_pair(tmp_path / "k")
    journal = run_dir / "bom.journal.jsonl"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    corrupted = None
    for life in range(KILLS):
        process = subprocess.Popen(
            [sys.executable, str(SCRIPT), str(run_dir), str(STEPS), str(key)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        wanted = _journaled(journal) + rng.randint(1, 3)
        while _journaled(journal) < wanted and process.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.01)
        assert process.poll() is None, process.stderr.read().decode()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=rng.uniform(0.0, 0.05))
        process.send_signal(signal.SIGKILL)
        process.wait()
        if life == 1:
            found = recover(run_dir, keys=[pub])
            target = Path(found.path) / "optimizer.pt"
            data = bytearray(target.read_bytes())
            data[len(data) // 2] ^= 0xFF
            target.write_bytes(bytes(data))
            corrupted = found.checkpoint.step
    final = subprocess.run(
        [sys.executable, str(SCRIPT), str(run_dir), str(STEPS), str(key)],
        capture_output=True,
        env=env,
        timeout=600,
    )
    assert final.returncode == 0, final.stderr.decode()[-3000:]
    chain = bom_chain(run_dir / "bom.cdx.json")
    assert [int(s["mbom:checkpoint:step"]) for s in chain] == list(range(1, STEPS + 1))
    for before, after in pairwise(chain):
        assert after["mbom:checkpoint:parent"] == digest(before)
    events = [e for _, e in journal_events(journal)]
    skipped = [s for e in events if e["action"] == "recovery" for s in e["skipped"]]
    assert any(
        s["step"] == corrupted and s["files"][0]["file"] == "optimizer.pt" for s in skipped
    ), skipped
    assert len({e["run"] for e in events}) == 1
    model = run_dir / f"checkpoint-{STEPS}"
    bundle = run_dir / "bom.cdx.json.sigstore.json"
    assert run_cli("verify", model, "--bundle", bundle, "--key", pub).returncode == 0
