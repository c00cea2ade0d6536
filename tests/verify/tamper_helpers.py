"""Signed models made through the CLI itself (generate, keygen, sign), for tampering tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def mbom_cli(*args: str, cwd: Path | None = None, user: str | None = None):
    """Run ``mbom ARGS`` in a subprocess; ``user`` runs it as that (non-root) user via setpriv."""
    argv = [sys.executable, "-m", "mbom.cli", *map(str, args)]
    if user is not None:
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *argv]
    env = {k: v for k, v in os.environ.items() if k != "MBOM_KEY_PASSPHRASE"}
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        env=env,
        check=False,
        timeout=600,  # a safety net against a hang, not a timing assertion
    )


def generate_and_sign(
    model: Path, out: Path, *, extra: tuple[str, ...] | None = None
) -> tuple[Path, Path, Path]:
    """``mbom generate`` + ``keygen`` + ``sign`` for ``model``; returns (bom, bundle, pub)."""
    bom = out / "bom.cdx.json"
    args = extra if extra is not None else ("--model", str(model), "--no-environment")
    done = mbom_cli("generate", *args, "-o", str(bom))
    assert done.returncode == 0, done.stderr
    if not (out / "key.pem").exists():
        done = mbom_cli("keygen", str(out / "key"))
        assert done.returncode == 0, done.stderr
    bundle = out / "bom.cdx.json.sigstore.json"
    done = mbom_cli("sign", str(bom), "--key", str(out / "key.pem"), "-o", str(bundle))
    assert done.returncode == 0, done.stderr
    return bom, bundle, out / "key.pub"
