"""Run an external tool (git, nvidia-smi) for a collector, never raising.

Collectors describe the machine they run on; a missing, hung or failing tool means "not known",
never a crashed BOM. One place owns the timeout, the locale and the error swallowing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence


def run_tool(
    argv: Sequence[str], *, timeout: float, env: Mapping[str, str] | None = None
) -> str | None:
    """Run ``argv`` (its first item looked up on PATH) and return its stdout, or None.

    None when the executable is not on PATH, cannot start, exceeds ``timeout`` seconds or exits
    non-zero. Output is decoded as UTF-8 with replacement so odd bytes cannot raise. ``env`` is
    added to the current environment; ``LC_ALL=C`` is always set so output is not localised.
    """
    executable = shutil.which(argv[0])
    if executable is None:
        return None
    full_env = {**os.environ, "LC_ALL": "C", **(env or {})}
    try:
        proc = subprocess.run(
            [executable, *argv[1:]],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            env=full_env,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout
