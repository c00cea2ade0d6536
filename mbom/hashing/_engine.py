"""Hash many files in parallel: large files one per task, small files in batches.

One file's SHA-256 cannot be split across cores, but files can, and the read and the digest
both release the GIL, so a thread per core keeps every core hashing. Small files are batched
so per-task overhead does not dominate; large files are scheduled first so the last task to
finish is a short one.
"""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Sequence

from mbom.errors import MbomError, UnreadableFileError
from mbom.hashing._cache import Identity
from mbom.hashing._reader import Progress, block_size, read_digests

# (path to open, expected size) in; (bytes read, identity, hex digests per algorithm) out.
Job = tuple[str, int]
Result = tuple[int, Identity, tuple[str, ...]]

_BATCH_BYTES = 8 * 1024 * 1024
_BATCH_FILES = 512
_FORK_MIN_FILES = 2000


def default_jobs() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def hash_jobs(
    jobs: Sequence[Job],
    algorithms: Sequence[str],
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    follow_symlinks: bool = False,
) -> list[Result]:
    """Hash every job's file; results are in the order of ``jobs``."""
    size = block_size(algorithms)
    results: list[Result | None] = [None] * len(jobs)
    workers = workers or default_jobs()

    def run(indexes: Sequence[int]) -> None:
        buffer = bytearray(size)
        for index in indexes:
            results[index] = read_digests(
                jobs[index][0],
                algorithms,
                buffer,
                follow_symlinks=follow_symlinks,
                progress=progress,
            )

    batches = _plan(jobs, size)
    small = [batch for batch in batches if len(batch) > 1]
    if workers > 1 and sum(map(len, small)) >= _FORK_MIN_FILES and _can_fork():
        # Many small files: per-file Python work holds the GIL, so threads cannot share it.
        # A forked child takes every other small batch; this process does the rest.
        batches = [batch for batch in batches if len(batch) == 1]
        child = _fork_worker(small[1::2], jobs, algorithms, size, follow_symlinks, results)
        for batch in small[::2]:
            run(batch)
        child.collect()
    if workers == 1 or len(batches) <= 1:
        for batch in batches:
            run(batch)
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(workers, len(batches))) as pool:
            for future in [pool.submit(run, batch) for batch in batches]:
                future.result()
    return results  # type: ignore[return-value]  # every slot was filled


def _can_fork() -> bool:
    """Fork only where it is safe: POSIX, and no other Python thread that may hold a lock."""
    return hasattr(os, "fork") and threading.active_count() == 1 and os.name == "posix"


class _Child:
    """A forked worker hashing some batches; :meth:`collect` merges its results."""

    def __init__(self, pid: int, reader: int, slots: list[Result | None]) -> None:
        self.pid, self.reader, self.slots = pid, reader, slots

    def collect(self) -> None:
        with os.fdopen(self.reader, "rb") as stream:
            data = stream.read()
        _pid, status = os.waitpid(self.pid, 0)
        payload = pickle.loads(data) if data else None
        if isinstance(payload, tuple):  # ("error", message, path) from the child
            raise UnreadableFileError(payload[1], path=payload[2])
        if os.waitstatus_to_exitcode(status) != 0 or payload is None:
            raise RuntimeError("hashing worker process failed")
        for index, result in payload:
            self.slots[index] = result


def _fork_worker(
    batches: list[list[int]],
    jobs: Sequence[Job],
    algorithms: Sequence[str],
    size: int,
    follow_symlinks: bool,
    slots: list[Result | None],
) -> _Child:
    reader, writer = os.pipe()
    pid = os.fork()
    if pid:
        os.close(writer)
        return _Child(pid, reader, slots)
    code = 0
    try:  # in the child: hash, send results (or the error) back, and exit without cleanup
        os.close(reader)
        buffer = bytearray(size)
        try:
            payload: object = [
                (
                    index,
                    read_digests(
                        jobs[index][0], algorithms, buffer, follow_symlinks=follow_symlinks
                    ),
                )
                for batch in batches
                for index in batch
            ]
        except MbomError as exc:  # re-raised in the parent
            payload = ("error", exc.message, exc.path)
        with os.fdopen(writer, "wb") as stream:
            stream.write(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _plan(jobs: Sequence[Job], large: int) -> list[list[int]]:
    """Largest files first, one per batch; small files grouped up to a byte/file budget."""
    order = sorted(range(len(jobs)), key=lambda i: jobs[i][1], reverse=True)
    batches: list[list[int]] = []
    current: list[int] = []
    current_bytes = 0
    for index in order:
        file_size = jobs[index][1]
        if file_size >= large:
            batches.append([index])
            continue
        current.append(index)
        current_bytes += file_size
        if current_bytes >= _BATCH_BYTES or len(current) >= _BATCH_FILES:
            batches.append(current)
            current, current_bytes = [], 0
    if current:
        batches.append(current)
    return batches
