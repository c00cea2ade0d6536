"""Hash any Location with bounded memory: an executor lists and hashes, the driver sorts and roots.

Usage::

    from mbom.hashing._location import open_location
    from mbom.hashing._stream import hash_location

    tree = hash_location(open_location("s3://bucket/data/"), ("sha256",))
    tree.root("sha256"); len(tree.files); tree.total_size

The :class:`Executor` does the work (in this process: :class:`InProcessExecutor`; on a
cluster: ``mbom.hashing._dask``) and hands batches of :class:`~mbom.hashing.FileDigest` to
``emit`` in any order; the driver computes each record's Merkle leaves, sorts them with the
external merge sort and roots the sorted stream (:class:`mbom.hashing._tree.TreeCollector`),
so the root, files and manifest bytes are those of a local ``hash_tree`` of the same tree
(docs/directory-digest.md), whatever the source, the executor and the file count.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol

from mbom.errors import InputError
from mbom.hashing._algorithms import check_algorithm
from mbom.hashing._location import Listed, Location, failure
from mbom.hashing._tree import TreeCollector
from mbom.hashing._walk import UNREADABLE, Anomaly, printable

if TYPE_CHECKING:
    from mbom.hashing import FileDigest, ProgressSink, TreeDigest

#: Objects per batch handed to ``hash_objects``: local files (forked workers) / remote objects.
LOCAL_BATCH = 20_000
REMOTE_BATCH = 256
#: Remote batches in flight at once (each one a few ranged requests at a time).
REMOTE_THREADS = 8


class Executor(Protocol):
    """Where listing and hashing run (this process, a Dask cluster...)."""

    def run(
        self,
        location: Location,
        algorithms: Sequence[str],
        *,
        emit: Callable[[list[FileDigest]], None],
        progress: ProgressSink | None,
        tolerant: bool,
    ) -> None:
        """List and hash everything under location; hand each batch of records to emit
        (any order)."""


def hash_location(
    location: Location,
    algorithms: Sequence[str],
    *,
    executor: Executor | None = None,
    progress: ProgressSink | None = None,
    tolerant: bool = False,
) -> TreeDigest:
    """The TreeDigest of ``location`` (``tolerant``: unreadable objects become anomalies)."""
    names = tuple(dict.fromkeys(check_algorithm(name) for name in algorithms))
    if not names:
        raise InputError("no hash algorithm given")
    info = location.stat_root()
    if not info.exists:
        raise InputError(f"{location.display}: no such file or directory", path=location.display)
    lock = threading.Lock()
    with TreeCollector(names) as collector:

        def emit(batch: list[FileDigest]) -> None:
            with lock:
                kept = []
                for entry in batch:
                    reason = failure(entry)
                    if reason is None:
                        kept.append(entry)
                    elif not tolerant:
                        raise InputError(f"{entry.path}: {reason}", path=entry.path)
                    else:
                        collector.anomalies.append(
                            Anomaly(printable(entry.path), UNREADABLE, reason)
                        )
                collector.add_digests(kept)

        (executor or InProcessExecutor()).run(
            location, names, emit=emit, progress=progress, tolerant=tolerant
        )
        find_ignored = getattr(location, "find_ignored", None)
        if info.is_directory and find_ignored is not None:
            collector.add_ignored(find_ignored())
        return collector.finish(location.display, info.is_directory)


def batches(listing: Iterator[Listed], size: int) -> Iterator[list[Listed]]:
    """The listing in lists of ``size`` objects (the last one shorter)."""
    batch: list[Listed] = []
    for listed in listing:
        batch.append(listed)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class InProcessExecutor:
    """List with ``location.find()`` and hash batch by batch in this process.

    A local location hashes each batch in the calling thread (its engine forks workers,
    which needs a single-threaded process); a remote one keeps up to ``threads`` batches in
    flight, each thread waiting on the network. At most ``2 * threads`` batches are held.
    """

    def __init__(self, threads: int = REMOTE_THREADS) -> None:
        self.threads = threads

    def run(
        self,
        location: Location,
        algorithms: Sequence[str],
        *,
        emit: Callable[[list[FileDigest]], None],
        progress: ProgressSink | None,
        tolerant: bool,
    ) -> None:
        advance = progress.advance if progress is not None else None

        def work(batch: list[Listed]) -> list[FileDigest]:
            if progress is not None:
                progress.start(sum(listed.size for listed in batch), len(batch))
            return location.hash_objects(batch, algorithms, progress=advance, tolerant=tolerant)

        if location.is_local or self.threads <= 1:
            for batch in batches(location.find(), LOCAL_BATCH):
                emit(work(batch))
            return
        from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

        with ThreadPoolExecutor(self.threads, thread_name_prefix="mbom-hash") as pool:
            pending: set = set()
            try:
                for batch in batches(location.find(), REMOTE_BATCH):
                    pending.add(pool.submit(work, batch))
                    if len(pending) >= 2 * self.threads:
                        done, pending = wait(pending, return_when=FIRST_COMPLETED)
                        for future in done:
                            emit(future.result())
                for future in list(pending):
                    emit(future.result())
                pending = set()
            finally:
                for future in pending:
                    future.cancel()
