"""Writing command results: JSON documents to stdout, and progress bars only on a terminal."""

from __future__ import annotations

import sys
from typing import Any

import click

#: Below this many bytes to hash, a progress bar would only flicker.
PROGRESS_MIN_BYTES = 256 * 1024 * 1024


def format_option(*choices: str, default: str = "text") -> Any:
    """The ``--format`` option every command shares: its choices, its default shown."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help="Output format: text for people, json (and the others) for tools.",
    )


def jobs_option() -> Any:
    """The ``--jobs`` / ``-j`` option of every command that hashes."""
    return click.option(
        "--jobs",
        "-j",
        type=click.IntRange(min=1),
        default=None,
        metavar="WORKERS",
        help="Hashing worker processes [default: one per CPU core].",
    )


def echo_json(document: Any) -> None:
    """Write one JSON document to stdout (and nothing else there)."""
    import json  # here: text output, the default, needs none

    click.echo(json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False))


class TerminalProgress:
    """A rich progress bar on stderr (bytes and files), shown only on a terminal for long runs.

    A :class:`mbom.hashing.ProgressSink`: ``start`` when the totals are known up front,
    ``grow`` while a streamed or distributed listing is still finding work (the bar appears
    once the total passes :data:`PROGRESS_MIN_BYTES`), ``advance`` / ``advance_files`` as
    bytes and files are done.
    """

    def __init__(self, label: str, *, terminal: bool | None = None) -> None:
        self.label = label
        self.terminal = sys.stderr.isatty() if terminal is None else terminal
        self.total_bytes = self.total_files = self.done_bytes = self.done_files = 0
        self._bar = None
        self._task = None

    def start(self, total_bytes: int, total_files: int) -> None:
        self.total_bytes, self.total_files = total_bytes, total_files
        self._refresh()

    def grow(self, nbytes: int, nfiles: int) -> None:
        self.total_bytes += nbytes
        self.total_files += nfiles
        self._refresh()

    def advance(self, nbytes: int) -> None:
        self.done_bytes += nbytes
        if self._bar is not None:
            self._bar.advance(self._task, nbytes)

    def advance_files(self, nfiles: int) -> None:
        self.done_files += nfiles
        self._refresh()

    def _refresh(self) -> None:
        if self._bar is None:
            if self.total_bytes < PROGRESS_MIN_BYTES or not self.terminal:
                return
            self._show()
        self._bar.update(
            self._task, total=self.total_bytes, files=self._files(), completed=self.done_bytes
        )

    def _files(self) -> str:
        if not self.done_files:
            return f"{self.total_files} files"
        return f"{self.done_files}/{self.total_files} files"

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TransferSpeedColumn,
        )

        self._bar = Progress(
            self.label,
            TextColumn("{task.fields[files]}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            transient=True,
            console=Console(stderr=True),  # stdout carries the result (``--format json``)
        )
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=self.total_bytes, files=self._files())

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
