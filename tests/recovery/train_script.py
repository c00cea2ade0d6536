"""A tiny training loop under ``mbom.record(..., resume="auto")``, killed and restarted by the
tests: ``python train_script.py RUN_DIR STEPS KEY.pem``.

Training is deterministic (the state after step N depends only on the state after step N-1),
the state is read back from the resumed checkpoint only after mbom verified it, and each start
is logged to RUN_DIR/starts.log as ``start STEP`` (0 on a fresh start), each recorded step as
``step N`` (so the test can aim its kills at training, not only at start-up).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import mbom


def main(run_dir: Path, steps: int, key: str) -> None:
    with mbom.record(
        run_dir / "bom.cdx.json",
        name="kill-test",
        version="1.0",
        config={"lr": 0.1, "steps": steps},
        sign_key=key,
        environment=False,
        git_dir=None,
        resume="auto",
    ) as run:
        weight, start = 0.0, 0
        if run.resumed is not None:
            state = json.loads((Path(run.resumed.path) / "model.json").read_text())
            weight, start = state["w"], run.resumed.step
        log = open(run_dir / "starts.log", "a", buffering=1)  # noqa: SIM115 - lives with the run
        log.write(f"start {start}\n")
        for step in range(start + 1, steps + 1):
            weight = round(weight * 0.9 + 0.1, 12)
            checkpoint = run_dir / f"checkpoint-{step}"
            checkpoint.mkdir(exist_ok=True)
            (checkpoint / "model.json").write_text(json.dumps({"w": weight, "step": step}))
            (checkpoint / "optimizer.bin").write_bytes(
                hashlib.sha256(f"{step}:{weight}".encode()).digest() * 512
            )
            (checkpoint / "trainer_state.json").write_text(json.dumps({"global_step": step}))
            run.checkpoint(checkpoint, step=step, metrics={"loss": round(1 - weight, 12)})
            log.write(f"step {step}\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
