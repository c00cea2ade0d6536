"""A tree's digest from a stream of file records, and a local tree hashed batch by batch.

Whatever the source (the local walk here, any Location through :mod:`mbom.hashing._stream`),
records go into a :class:`TreeCollector`: sorted by path with the external merge sort of
:mod:`mbom.hashing._spill`, then one pass over the sorted stream feeds a
:class:`~mbom.hashing.merkle.RootBuilder` per algorithm and counts the bytes. Memory is one
batch, one sort run and the roots' stacks, whatever the file count; the root and the files
are the same bytes as the in-memory computation (docs/directory-digest.md).

The local walk lists in path order, so its records arrive sorted: then the roots and the
byte count are taken as blocks arrive and nothing is sorted, merged or read back (any
record out of order falls back to the sort). Hashing is pipelined: forked workers hash one
batch while this process lists the next one and files the previous one's records.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from mbom.errors import InputError
from mbom.hashing import _records
from mbom.hashing._algorithms import digest_bytes
from mbom.hashing._cache import HashCache, Identity
from mbom.hashing._engine import FAILED, Started, start_hashing
from mbom.hashing._records import DiskFiles, DiskPaths, decode_all, to_record
from mbom.hashing._spill import RECORD_COST, SpillSorter
from mbom.hashing._types import FileDigest, ProgressSink, TreeDigest
from mbom.hashing._walk import (
    SPECIAL_FILE,
    UNREADABLE,
    Anomaly,
    FileRow,
    LinkRow,
    printable,
    stream_walk,
)
from mbom.hashing.merkle import RootBuilder, leaf_hash


class TreeCollector:
    """Records in any order -> the sorted TreeDigest (files, ignored paths, roots, totals).

    Use as a context manager: an error or interrupt inside removes every spill file.
    """

    def __init__(self, names: Sequence[str], *, directory: str | None = None) -> None:
        self.names = tuple(names)
        cost = RECORD_COST + 150 * len(self.names)
        self._files = SpillSorter(record_cost=cost, directory=directory)
        self._ignored = SpillSorter(record_cost=80, directory=directory)
        self.anomalies: list[Anomaly] = []
        self.cached = 0
        # Roots and byte count of the records so far, while they arrive in order.
        self._builders = [RootBuilder(name) for name in self.names]
        self._total = 0

    def __enter__(self) -> TreeCollector:
        return self

    def __exit__(self, *exc: object) -> None:
        ok = exc[0] is None
        self._files.close(keep_result=ok)
        self._ignored.close(keep_result=ok)

    def add(self, record: tuple) -> None:
        """One record as in :mod:`mbom.hashing._records` (path first, leaves last)."""
        self.add_block([record])

    def add_block(self, records: list[tuple]) -> None:
        """Records (any order; ascending path order is the fast path)."""
        files = self._files
        files.add_block(records)
        if not files.ordered or not records:
            return
        self._total += sum(map(_size, records))
        if not records[0][6]:  # a single file's record (no leaves: no root)
            return
        if len(self._builders) == 1:
            self._builders[0].extend([record[6][0] for record in records])
        else:
            for position, builder in enumerate(self._builders):
                builder.extend([record[6][position] for record in records])

    def add_digests(self, entries: Iterable[FileDigest]) -> None:
        """FileDigest records (any source); their leaves are computed here."""
        names = self.names
        self.add_block([to_record(entry, names) for entry in entries])

    def add_ignored(self, paths: Iterable[str]) -> None:
        add = self._ignored.add
        for path in paths:
            add((path,))

    def add_link(self, rel: str, target: str) -> None:
        """A symbolic link, digested as its target string (never followed)."""
        self.add(link_record(self.names, rel, target))

    def finish(self, path: str, is_directory: bool) -> TreeDigest:
        """Sort, root and count everything added (one pass over the sorted stream, unless
        the records came in order: then that was done as they came)."""
        names = self.names
        if self._files.ordered:
            builders, total = self._builders, self._total
            records = self._files.sorted_result()
        else:
            builders, total = self._drain()
            records = self._files.result()
        files: Sequence[FileDigest]
        if len(records) <= _records.SMALL_TREE:
            files = decode_all(records, names)
            records.close()
        else:
            files = DiskFiles(records, names)
        list(self._ignored.drain())
        skipped = self._ignored.result()
        ignored: Sequence[str]
        if len(skipped) <= _records.SMALL_TREE:
            ignored = tuple(record[0] for record in skipped)
            skipped.close()
        else:
            ignored = DiskPaths(skipped)
        return TreeDigest(
            path=path,
            is_directory=is_directory,
            algorithms=names,
            files=files,
            roots={n: b.root().hex() for n, b in zip(names, builders)} if is_directory else {},
            ignored=ignored,
            cached=self.cached,
            anomalies=tuple(sorted(self.anomalies, key=lambda a: a.path)),
            total_bytes=total,
        )

    def _drain(self) -> tuple[list[RootBuilder], int]:
        """Roots and byte count from one pass over the merge-sorted records."""
        builders = [RootBuilder(name) for name in self.names]
        total = 0
        if len(builders) == 1:
            add = builders[0].add
            for record in self._files.drain():
                total += record[1]
                add(record[6][0])
        else:
            for record in self._files.drain():
                total += record[1]
                for builder, leaf in zip(builders, record[6]):
                    builder.add(leaf)
        return builders, total


def link_record(names: Sequence[str], rel: str, target: str) -> tuple:
    """The record of a symbolic link: digested as its target string (never followed)."""
    encoded = target.encode("utf-8", "surrogateescape")
    raw = [digest_bytes(name, encoded) for name in names]
    leaves = tuple(
        leaf_hash(name, rel, len(encoded), value, symlink=True) for name, value in zip(names, raw)
    )
    return (rel, len(encoded), tuple(v.hex() for v in raw), target, None, None, leaves)


def _size(record: tuple) -> int:
    return record[1]


def hash_local(
    given: str,
    names: tuple[str, ...],
    *,
    jobs: int | None,
    store: HashCache | None,
    use_ignore: bool,
    extra_ignore: Sequence[str],
    progress: ProgressSink | None,
    follow_within: str | None,
    ignore_file: bool,
    report_anomalies: bool,
    meanwhile: Callable[[], None] | None = None,
    observe: Callable[[str, Identity], None] | None = None,
) -> TreeDigest:
    """hash_tree for a local file or directory: walked, hashed and sorted in batches.

    ``meanwhile`` is called at most once, while workers hash a batch's large files.
    ``observe(name, identity)``: each regular file's identity where its bytes were read."""
    root = os.path.abspath(given)
    if not os.path.exists(root):
        raise InputError(f"{given}: no such file or directory", path=given)
    is_directory = os.path.isdir(root)
    horizon = store.racy_horizon(root) if store is not None else 0
    with TreeCollector(names) as collector:
        anomalies = collector.anomalies if report_anomalies else None
        batch = _Batch(collector, names, jobs, store, horizon, progress, is_directory, anomalies)
        batch.meanwhile, batch.observe = _once(meanwhile), observe
        if not is_directory:
            if _check_single(given, root, anomalies):
                batch.finish(batch.start([(os.path.basename(root), root)]), [])
            return collector.finish(given, is_directory)
        walk = stream_walk(
            root,
            use_ignore=use_ignore,
            extra_ignore=extra_ignore,
            follow_within=follow_within,
            ignore_file=ignore_file,
            anomalies=anomalies,
        )
        # One batch hashed by the workers while the next one is listed here.
        pending: tuple[_Running, list[LinkRow]] | None = None
        try:
            for piece in walk:
                collector.add_ignored(piece.ignored)
                previous, pending = pending, (batch.start(piece.files), piece.links)
                if previous is not None:
                    batch.finish(*previous)
            if pending is not None:
                last, pending = pending, None
                batch.finish(*last)
        finally:
            if pending is not None:  # an error: stop the workers of the batch in flight
                pending[0].started.abandon()
        return collector.finish(given, is_directory)


class _Running(NamedTuple):
    """A batch whose files are being hashed."""

    rows: list[FileRow]
    started: Started


class _Batch:
    """Hash batches of walked files into the collector (cache, anomalies, progress)."""

    def __init__(
        self,
        collector: TreeCollector,
        names: tuple[str, ...],
        jobs: int | None,
        store: HashCache | None,
        horizon: int,
        progress: ProgressSink | None,
        is_directory: bool,
        anomalies: list[Anomaly] | None,
    ) -> None:
        self.collector, self.names, self.jobs = collector, names, jobs
        self.store, self.horizon, self.progress = store, horizon, progress
        self.is_directory, self.anomalies = is_directory, anomalies
        self.meanwhile: Callable[[], None] | None = None
        self.observe: Callable[[str, Identity], None] | None = None

    def start(self, rows: list[FileRow]) -> _Running:
        """Start hashing (forked workers take every file: this process lists the next batch)."""
        names, store = self.names, self.store
        paths = [row[1] for row in rows]
        started = start_hashing(
            paths,
            names,
            names=[row[0] for row in rows] if self.is_directory else None,
            cached=_cached_digests(store, names, paths) if store is not None and rows else {},
            workers=self.jobs,
            follow_symlinks=not self.is_directory,
            tolerant=self.anomalies is not None,
            share=False,
        )
        return _Running(rows, started)

    def finish(self, running: _Running, links: list[LinkRow]) -> None:
        """Wait for a batch, cache its digests and file its records (and the links)."""
        rows, progress, store, names = running.rows, self.progress, self.store, self.names
        results = running.started.finish(
            progress.start if progress is not None else None,
            progress.advance if progress is not None else None,
            self.meanwhile,
        )
        if store is not None:
            paths = [row[1] for row in rows]
            fresh = [(p, r) for p, r in zip(paths, results) if not r[4] and r[0] == r[1][0]]
            if fresh:
                for position, name in enumerate(names):
                    store.store(name, ((p, r[1], r[2][position]) for p, r in fresh), self.horizon)
        records, cached = [], 0
        for row, r in zip(rows, results):
            if r[0] == FAILED:
                self.anomalies.append(Anomaly(printable(row[0]), UNREADABLE, r[2][0]))  # type: ignore[union-attr]
                continue
            cached += r[4]
            records.append((row[0], r[0], r[2], None, r[5], None, r[3]))
        if self.observe is not None:
            for row, r in zip(rows, results):
                if r[0] != FAILED:
                    self.observe(row[0], r[1])
        if links:
            # Files and links are each in walk order: one merge keeps the block in order.
            records += [link_record(names, rel, target) for rel, target in links]
            records.sort()
        self.collector.add_block(records)
        self.collector.cached += cached


def _once(work: Callable[[], None] | None) -> Callable[[], None] | None:
    """``work`` wrapped to run on its first call only."""
    if work is None:
        return None
    pending = [work]

    def run() -> None:
        if pending:
            pending.pop()()

    return run


def _check_single(given: str, root: str, anomalies: list[Anomaly] | None) -> bool:
    """PATH itself must be a regular file (a FIFO would block the open)."""
    import stat

    mode = os.stat(root).st_mode
    if stat.S_ISREG(mode):
        return True
    if anomalies is None:
        raise InputError(f"{given}: not a regular file or directory", path=given)
    anomalies.append(Anomaly(printable(os.path.basename(root)), SPECIAL_FILE, "not a regular file"))
    return False


def _cached_digests(store: HashCache, names: Sequence[str], paths: Sequence[str]) -> dict[str, Any]:
    """Path -> (identity, digests) for files whose every requested digest is cached alike."""
    if all(map(str.__lt__, paths, itertools.islice(paths, 1, None))):
        # A batch of the walk (in path order): one range scan; rows between its paths that
        # are not in it (deleted files) are simply never asked for.
        tables = [store.lookup_range(name, paths[0], paths[-1]) for name in names]
    else:
        tables = [store.lookup_paths(name, paths) for name in names]
    known = {}
    for path, (identity, digest) in tables[0].items():
        digests = [digest]
        for table in tables[1:]:
            entry = table.get(path)
            if entry is None or entry[0] != identity:
                break
            digests.append(entry[1])
        else:
            known[path] = (identity, tuple(digests))
    return known
