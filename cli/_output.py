"""Writing command results: JSON documents to stdout, and progress bars only on a terminal."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

#: Below this many bytes to hash, a progress bar would only flicker.
PROGRESS_MIN_BYTES = 256 * 1024 * 1024


def echo_json(document: Any) -> None:
    """Write one JSON document to stdout (and nothing else there)."""
    click.echo(json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False))


class TerminalProgress:
    """A rich progress bar on stderr, shown only when stderr is a terminal and the run is long."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._bar = None
        self._task = None

    def start(self, total_bytes: int, total_files: int) -> None:
        if total_bytes < PROGRESS_MIN_BYTES or not sys.stderr.isatty():
            return
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TransferSpeedColumn,
        )

        self._bar = Progress(
            f"{self.label} ({total_files} files)",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            transient=True,
            console=None,
        )
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=total_bytes)

    def advance(self, nbytes: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, nbytes)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def chosen_format(
    explicit: str | None, output: str | None, by_suffix: dict[str, str], default: str
) -> str:
    """``--format`` when given, else the one ``-o FILE``'s extension names, else ``default``."""
    import os

    return explicit or by_suffix.get(os.path.splitext(output or "")[1].lower(), default)


def deliver(text: str, output: str | None) -> None:
    """Write ``text`` to ``output`` atomically, or to stdout when no file is named."""
    if output:
        from mbom._atomic import write_atomic

        write_atomic(output, text)
    else:
        click.echo(text, nl=False)
