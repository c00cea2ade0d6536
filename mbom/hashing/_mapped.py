"""Hash large files in forked workers that may die; without copying them where that pays.

Usage::

    from mbom.hashing._mapped import can_fork_workers, hash_mapped

    if can_fork_workers():
        hash_mapped(plan, sizes, results, workers, progress, meanwhile)

Mapping a file saves the copy ``read`` makes of every byte (on the reference machine, that
copy was half of BLAKE3's time): :mod:`mbom.hashing._windows` maps or reads each window,
whichever it measured cheaper. But a file truncated while it is mapped raises SIGBUS on the
next access to a page past its new end, which Python cannot catch: so the hashing is done by
forked worker processes, one per core, each taking a share of the files (largest first, to
the least loaded). A worker reports each file before it starts it; if it dies of SIGBUS, the
parent turns that file into :class:`~mbom.errors.ObjectChangedError` ("changed while being
hashed", exit 2 naming it; a FAILED result when the caller tolerates unreadable files) and
hashes the worker's other files itself with ``read``. A worker that dies any other way has
its unfinished files hashed here with ``read`` too: the result never depends on a worker
surviving.

Peak memory stays flat: each worker maps one window at a time (pages of a mapped window
count towards RSS only while mapped). The workers are separate processes, so this process
is free meanwhile (generate captures the environment then, without contending for the GIL
with the hashing).
"""

from __future__ import annotations

import marshal
import os
import selectors
import signal
import struct
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from mbom.errors import MbomError, ObjectChangedError, UnreadableFileError
from mbom.hashing._reader import Progress, block_size, open_file, read_buffer
from mbom.hashing._windows import Method, digest_windows
from mbom.hashing._workers import fork_with_pipe, kill_and_reap

if TYPE_CHECKING:
    from mbom.hashing._engine import Result, _Plan

_FRAME = struct.Struct("<I")


def can_fork_workers() -> bool:
    """Large files can go to forked workers here (POSIX with fork)."""
    return os.name == "posix" and hasattr(os, "fork")


def changed_error(path: str, before: int) -> ObjectChangedError:
    """The one message for a file whose size changed while it was hashed."""
    try:
        after = str(os.stat(path).st_size)
    except OSError:
        after = "gone"
    return ObjectChangedError(
        f"{path}: changed while being hashed (size {before} -> {after})",
        path=path,
        expected=str(before),
        actual=after,
    )


def shares(sizes: Sequence[tuple[int, int]], workers: int) -> list[list[int]]:
    """(index, size) largest first -> one list of indexes per worker, balanced by bytes."""
    loads = [0] * workers
    parts: list[list[int]] = [[] for _ in range(workers)]
    for index, size in sizes:
        least = loads.index(min(loads))
        parts[least].append(index)
        loads[least] += size
    return [part for part in parts if part]


class _Worker:
    """A forked worker: its files, the one it is on, what it sent so far."""

    def __init__(self, pid: int, fd: int, indexes: list[int]) -> None:
        self.pid, self.fd, self.indexes = pid, fd, indexes
        self.current: int | None = None
        self.current_size = -1
        self.finished: set[int] = set()
        self.buffer = b""

    def kill(self) -> None:
        kill_and_reap(self.pid, self.fd)
        self.pid, self.fd = 0, -1


def hash_mapped(
    plan: _Plan,
    sizes: Sequence[tuple[int, int]],
    results: list[Result | None],
    workers: int,
    progress: Progress | None,
    meanwhile: Callable[[], None] | None = None,
    forked: Callable[[], None] | None = None,
) -> None:
    """Hash (index, size) files (largest first) into ``results`` with forked workers.

    Once they are forked, ``forked`` is called (this process may start threads from then
    on), then ``meanwhile`` (generate's digest-free work), then the workers are waited for.
    """
    parts = shares(sizes, max(1, min(workers, len(sizes))))
    # One file per worker when there are fewer files than cores: BLAKE3 spreads it over a
    # pool of its own (never the process-wide one: see new_hasher).
    threads = max(1, workers // len(parts)) if len(sizes) < workers else None
    started: list[_Worker] = []
    try:
        for part in parts:
            started.append(_fork(plan, part, threads if threads and threads > 1 else None))
        if forked is not None:
            forked()
        if meanwhile is not None:
            meanwhile()
        left = _collect(plan, started, results, progress)
    finally:
        for worker in started:
            worker.kill()
    if left:  # a worker died: what it did not finish is read here (it may change again)
        buffer = read_buffer(block_size(plan.algorithms))
        for index in left:
            results[index] = plan.stream(index, buffer, progress, False)


def _collect(
    plan: _Plan, workers: list[_Worker], results: list[Result | None], progress: Progress | None
) -> list[int]:
    """Read every worker's reports until it exits; return the files left to read here."""
    left: list[int] = []
    with selectors.DefaultSelector() as selector:
        for worker in workers:
            selector.register(worker.fd, selectors.EVENT_READ, worker)
        while selector.get_map():
            for key, _events in selector.select():
                worker = key.data
                data = os.read(worker.fd, 1 << 16)
                if data:
                    worker.buffer += data
                    _frames(plan, worker, results, progress)
                    continue
                selector.unregister(worker.fd)
                left += _reap(plan, worker, results)
    return left


def _frames(
    plan: _Plan, worker: _Worker, results: list[Result | None], progress: Progress | None
) -> None:
    buffer = worker.buffer
    while len(buffer) >= 4:
        (length,) = _FRAME.unpack_from(buffer)
        if len(buffer) < 4 + length:
            break
        message = marshal.loads(buffer[4 : 4 + length])
        buffer = buffer[4 + length :]
        kind = message[0]
        if kind == "p":
            if progress is not None:
                progress(message[1])
        elif kind == "s":
            worker.current, worker.current_size = message[1], message[2]
        elif kind == "r":
            results[message[1]] = message[2]
            worker.finished.add(message[1])
            worker.current = None
        else:  # "e": an error the caller does not tolerate
            _, message_text, path, expected, actual = message
            if expected is not None:
                raise ObjectChangedError(message_text, path=path, expected=expected, actual=actual)
            raise UnreadableFileError(message_text, path=path)
    worker.buffer = buffer


def _reap(plan: _Plan, worker: _Worker, results: list[Result | None]) -> list[int]:
    """The worker's pipe closed: wait for it; a death names the file it was mapping."""
    os.close(worker.fd)
    worker.fd = -1
    _pid, status = os.waitpid(worker.pid, 0)
    worker.pid = 0
    unfinished = [index for index in worker.indexes if index not in worker.finished]
    if not unfinished:
        return []
    current = worker.current
    if current is not None and os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGBUS:
        error = changed_error(plan.paths[current], worker.current_size)
        results[current] = plan.failed(error)
        unfinished.remove(current)
    return unfinished


def _fork(plan: _Plan, indexes: list[int], threads: int | None) -> _Worker:
    def hash_share(writer: int) -> None:  # in the child: hash, report each file
        _die_quietly_on_sigbus()
        _child(plan, indexes, threads, writer)

    pid, reader = fork_with_pipe(hash_share)
    return _Worker(pid, reader, indexes)


def _die_quietly_on_sigbus() -> None:
    """A truncated mapping kills the worker by SIGBUS, without a fault report on stderr."""
    import sys

    faulthandler = sys.modules.get("faulthandler")
    if faulthandler is not None:
        faulthandler.disable()
    signal.signal(signal.SIGBUS, signal.SIG_DFL)


def _send(fd: int, message: object) -> None:
    data = marshal.dumps(message)
    data = _FRAME.pack(len(data)) + data
    while data:
        data = data[os.write(fd, data) :]


def _child(plan: _Plan, indexes: list[int], threads: int | None, out: int) -> None:
    method = Method.from_environment()  # one per worker: what it measures, it keeps
    for index in indexes:
        try:
            _send(out, ("r", index, _hash_one(plan, index, threads, out, method)))
        except MbomError as exc:  # not tolerated: the parent raises it
            changed = isinstance(exc, ObjectChangedError)
            expected = exc.expected if changed else None
            actual = exc.actual if changed else None
            _send(out, ("e", exc.message, exc.path, expected, actual))
            return


def _hash_one(plan: _Plan, index: int, threads: int | None, out: int, method: Method) -> Result:
    """One file, window by window (mapped or read, as ``method`` says); reported as it goes."""
    path = plan.paths[index]
    try:
        fd, identity = open_file(path, follow_symlinks=plan.follow)
    except UnreadableFileError as exc:
        return plan.failed(exc)
    try:
        size = identity[0]
        _send(out, ("s", index, size))

        def advance(count: int) -> None:
            _send(out, ("p", count))

        try:
            hashed, raw = digest_windows(
                fd, size, plan.algorithms, method, threads=threads, progress=advance
            )
            st = os.fstat(fd)
        except OSError as exc:
            error = UnreadableFileError(f"{path}: read failed: {exc.strerror}", path=path)
            return plan.failed(error)
        if hashed != size or st.st_size != size:
            return plan.failed(changed_error(path, size))
        return plan.finish(index, size, identity, raw, st.st_mode)
    finally:
        os.close(fd)
