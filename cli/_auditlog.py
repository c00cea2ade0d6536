"""``--log FILE`` for commands that record what they did in a tamper-evident log."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from pathlib import Path


def log_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--log FILE`` (passed to the command as ``log_file``)."""
    return click.option(
        "--log",
        "log_file",
        metavar="FILE",
        default=None,
        help="Append what this command did to a tamper-evident log (mbom log verify).",
    )(command)


def record(log_file: str | None, action: str, written: str | Path, **fields: Any) -> None:
    """Append ``{"action", "file", "sha256", ...fields}`` for the file just written."""
    if not log_file:
        return
    from mbom.hashing import hash_file

    digest = hash_file(written).digests["sha256"]
    record_event(log_file, {"action": action, "file": str(written), "sha256": digest, **fields})


def record_event(log_file: str | None, event: dict[str, Any]) -> None:
    """Append ``event`` as it is (for commands that write no file, such as verify)."""
    if not log_file:
        return
    from mbom.forensics.log import append_event

    append_event(log_file, event)
