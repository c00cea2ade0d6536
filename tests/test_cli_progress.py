"""The terminal progress bar: bytes and files, totals known up front or growing while listing."""

from __future__ import annotations

from mbom.cli._output import PROGRESS_MIN_BYTES, TerminalProgress


def task_of(progress: TerminalProgress):
    assert progress._bar is not None
    return progress._bar.tasks[0]


def test_no_bar_off_a_terminal_or_for_a_short_run() -> None:
    with TerminalProgress("hashing x", terminal=False) as progress:
        progress.start(10 * PROGRESS_MIN_BYTES, 5)
        assert progress._bar is None
    with TerminalProgress("hashing x", terminal=True) as progress:
        progress.start(PROGRESS_MIN_BYTES - 1, 5)
        progress.advance(100)
        assert progress._bar is None


def test_a_growing_total_shows_the_bar_once_it_is_long_with_files_counted() -> None:
    with TerminalProgress("hashing s3://bucket/data", terminal=True) as progress:
        progress.grow(PROGRESS_MIN_BYTES // 2, 1000)
        progress.advance(1024)
        progress.advance_files(10)
        assert progress._bar is None  # not long enough yet
        progress.grow(PROGRESS_MIN_BYTES, 2000)
        task = task_of(progress)
        assert (task.total, task.completed) == (PROGRESS_MIN_BYTES * 3 // 2, 1024)
        assert task.fields["files"] == "10/3000 files"
        progress.advance(4096)
        progress.advance_files(5)
        task = task_of(progress)
        assert (task.completed, task.fields["files"]) == (1024 + 4096, "15/3000 files")
    assert progress._bar is None  # closed with the block


def test_an_older_caller_start_then_advance_still_works() -> None:
    with TerminalProgress("hashing model", terminal=True) as progress:
        progress.start(PROGRESS_MIN_BYTES, 3)
        progress.advance(PROGRESS_MIN_BYTES)
        task = task_of(progress)
        assert (task.total, task.completed, task.fields["files"]) == (
            PROGRESS_MIN_BYTES,
            PROGRESS_MIN_BYTES,
            "3 files",
        )
