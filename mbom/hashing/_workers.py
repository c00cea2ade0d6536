"""Forked worker processes that hash a share of many small files (POSIX).

Usage::

    if can_fork():
        child = fork_child(plan, indexes)   # the child probes its files and exits
        done, large = child.collect()       # (index, result) pairs, and the large files left
    ...
    child.abandon()                         # on an error elsewhere: kill and reap it

The child sends plain tuples back with :mod:`marshal` (faster than pickle) and leaves with
``os._exit``: it runs none of the parent's clean-up. An mbom error in the child (a file it
could not read) is re-raised in the parent by :meth:`Child.collect`.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import signal
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from mbom.errors import MbomError, UnreadableFileError

if TYPE_CHECKING:
    from mbom.hashing._engine import Result, _Plan


def can_fork() -> bool:
    """Fork only where it is safe: POSIX, and no other Python thread that may hold a lock."""
    return hasattr(os, "fork") and os.name == "posix" and threading.active_count() == 1


class Child:
    """A forked worker; :meth:`collect` returns its results or re-raises its error."""

    def __init__(self, pid: int, reader: int) -> None:
        self.pid, self.reader = pid, reader

    def collect(self) -> tuple[list[tuple[int, Result]], list[tuple[int, int]]]:
        with os.fdopen(self.reader, "rb") as stream:
            self.reader = -1
            data = stream.read()
        _pid, status = os.waitpid(self.pid, 0)
        self.pid = 0
        payload = marshal.loads(data) if data else None
        if isinstance(payload, tuple) and payload and payload[0] == "error":
            raise UnreadableFileError(payload[1], path=payload[2])
        if os.waitstatus_to_exitcode(status) != 0 or not isinstance(payload, tuple):
            raise RuntimeError("hashing worker process failed")
        return payload

    def abandon(self) -> None:
        """Kill and reap the worker, if it was not collected."""
        kill_and_reap(self.pid, self.reader)
        self.pid, self.reader = 0, -1


def kill_and_reap(pid: int, fd: int) -> None:
    """Close a worker's pipe (``fd`` >= 0) and kill and reap the worker (``pid`` non-zero)."""
    if fd >= 0:
        os.close(fd)
    if pid:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def fork_with_pipe(work: Callable[[int], None]) -> tuple[int, int]:
    """Fork a worker that runs ``work(writer)`` and leaves with ``os._exit`` (none of the
    parent's clean-up; 1 if ``work`` raised); return (its pid, the pipe's reading end)."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid:
        os.close(writer)
        return pid, reader
    code = 0
    try:
        os.close(reader)
        work(writer)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def fork_child(plan: _Plan, indexes: Sequence[int]) -> Child:
    def probe(writer: int) -> None:  # in the child: send results (or the error) back
        try:
            payload: object = plan.probe(indexes)
        except MbomError as exc:  # re-raised in the parent
            payload = ("error", exc.message, exc.path)
        with os.fdopen(writer, "wb") as stream:
            stream.write(marshal.dumps(payload))  # plain tuples: faster than pickle

    return Child(*fork_with_pipe(probe))
