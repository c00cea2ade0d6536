"""Atomic file writes: a reader sees the old file or the whole new one, never a partial one.

Every file mbom writes (BOMs, bundles, manifests, reports) goes through :func:`write_atomic`,
so an error or a crash half-way leaves no corrupted output behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], data: bytes | str, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    target = Path(path)
    # A lone surrogate (from a "\ud800" escape in someone's JSON) is written as that escape.
    payload = data.encode("utf-8", "backslashreplace") if isinstance(data, str) else data
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
