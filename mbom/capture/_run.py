"""Run an external tool of the machine (``nvidia-smi``) for a collector, never raising.

Collectors describe the machine they run on; a missing, hung or failing tool means "not known",
never a crashed BOM. One place owns the timeout, the locale and the error swallowing. Nothing
a model or code directory holds may be started: the tool is looked up only in the absolute
directories of PATH (an empty or relative entry would mean the current directory) and runs
with ``/`` as its working directory. (git is no longer run at all: see mbom.capture.git.)
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
    search = os.pathsep.join(
        entry for entry in os.environ.get("PATH", "").split(os.pathsep) if os.path.isabs(entry)
    )
    executable = shutil.which(argv[0], path=search) if os.sep not in argv[0] else None
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
            cwd=os.sep,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout
