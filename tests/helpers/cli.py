"""Run the real ``mbom`` command line in a subprocess, as a user or a CI job would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_cli(
    *args: object,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m mbom.cli ARGS`` in ``cwd`` (default: the repository root); ``env`` is added
    to os.environ."""
    return subprocess.run(
        [sys.executable, "-m", "mbom.cli", *map(str, args)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=cwd or REPO,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )
