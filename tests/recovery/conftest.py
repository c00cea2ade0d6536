"""A recorded run that died after three checkpoints (no BOM written), and its signing key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

import mbom
from mbom.attest import write_key_pair


@dataclass(frozen=True)
class DeadRun:
    run_dir: Path
    key: Path
    pub: Path

    @property
    def journal(self) -> Path:
        return self.run_dir / "bom.journal.jsonl"

    def checkpoint(self, step: int) -> Path:
        return self.run_dir / f"checkpoint-{step}"


def write_checkpoint(run_dir: Path, step: int) -> Path:
    folder = run_dir / f"checkpoint-{step}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.json").write_text(json.dumps({"w": step / 10}))
    (folder / "optimizer.bin").write_bytes(bytes([step]) * 4096)
    return folder


def record_options(run: DeadRun, **extra: object) -> dict[str, object]:
    return {
        "name": "dead",
        "version": "1",
        "sign_key": run.key,
        "environment": False,
        "git_dir": None,
        **extra,
    }


@pytest.fixture
def dead_run(tmp_path: Path) -> DeadRun:
    key, pub = write_key_pair(tmp_path / "k")
    run = DeadRun(tmp_path / "run", key, pub)
    recording = mbom.record(run.run_dir / "bom.cdx.json", **record_options(run))
    recording.start()
    for step in (1, 2, 3):
        recording.checkpoint(write_checkpoint(run.run_dir, step), step=step, metrics={"s": step})
    return run  # never finished: the process "died" here
