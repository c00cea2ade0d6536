"""External merge sort of records by path: any number of files in bounded memory.

Usage::

    from mbom.hashing._spill import SpillSorter

    with SpillSorter() as sorter:
        for record in unordered:            # plain tuples, record[0] the path (a str)
            sorter.add(record)
        for record in sorter.drain():       # sorted by path; duplicated paths raise
            ...
        records = sorter.result()           # re-iterable, len(); outlives the ``with``

Records are buffered up to :data:`RUN_BYTES` worth (estimated), sorted and written as a run
to a private temporary directory (``tempfile.mkdtemp``: mode 0700); :meth:`drain` merges the
runs (``heapq.merge``; runs whose path ranges do not overlap are simply concatenated) and
writes the merged stream to one file that :meth:`result` reads back as often as asked.
Records that arrive in strictly ascending order (a walk in path order, blocks given to
:meth:`add_block`) are never sorted, merged or rewritten: while :attr:`SpillSorter.ordered`
holds, the runs are the result, read back one after the other.
Python orders ``str`` by code point, which for valid names is the UTF-8 byte order
docs/directory-digest.md sorts by.

Spill files are not pickle: blocks of ``marshal`` data (plain tuples of str, int, bytes,
None), each behind its byte length, and only ever read back by the process that wrote them.
The directory is removed on every exit path: :meth:`SpillSorter.close` (the ``with``), an
exception or KeyboardInterrupt inside it, and garbage collection or interpreter exit of the
sorter and of every result it handed out.
"""

from __future__ import annotations

import heapq
import itertools
import marshal
import os
import struct
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

from mbom.errors import InputError

#: Bytes of records (estimated) held before a run is sorted and written out.
RUN_BYTES = 64 * 1024 * 1024
#: Records per marshal block: what one open run holds in memory while runs are merged.
BLOCK = 1024
#: Estimated bytes a buffered record costs besides its path (tuple, digests, leaves).
RECORD_COST = 400

_LENGTH = struct.Struct("<I")

Record = tuple[Any, ...]


class _Scratch:
    """A private temporary directory, removed on close, on garbage collection, at exit."""

    def __init__(self, parent: str | None) -> None:
        # Imported here: only a tree too large for memory spills, and tempfile and shutil
        # would cost every start ~6 ms.
        import shutil
        import tempfile

        self.path = tempfile.mkdtemp(prefix="mbom-sort-", dir=parent)
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.path, ignore_errors=True)
        self._names = itertools.count()

    def new_file(self) -> str:
        return os.path.join(self.path, f"{next(self._names)}.run")

    def close(self) -> None:
        self._finalizer()


def _write(path: str, records: list[Record]) -> None:
    """Write records as length-prefixed marshal blocks."""
    with open(path, "wb") as handle:
        for start in range(0, len(records), BLOCK):
            data = marshal.dumps(records[start : start + BLOCK])
            handle.write(_LENGTH.pack(len(data)))
            handle.write(data)


def _blocks(records: Iterable[Record]) -> Iterator[list[Record]]:
    iterator = iter(records)
    while block := list(itertools.islice(iterator, BLOCK)):
        yield block


def _read(path: str) -> Iterator[Record]:
    with open(path, "rb", buffering=256 * 1024) as handle:
        while header := handle.read(_LENGTH.size):
            (length,) = _LENGTH.unpack(header)
            yield from marshal.loads(handle.read(length))


class Records:
    """Sorted records, in memory or in one spill file: ``len`` and repeated iteration."""

    def __init__(
        self, count: int, items: list[Record] | None, files: list[str] | None, scratch: Any
    ) -> None:
        self._count, self._items, self._files, self._scratch = count, items, files, scratch

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Record]:
        if self._items is not None:
            return iter(self._items)
        if self._files is None:
            raise ValueError("sorted records were closed")
        return itertools.chain.from_iterable(map(_read, self._files))

    @property
    def on_disk(self) -> bool:
        return self._items is None

    def close(self) -> None:
        """Remove the spill file now (else: when this object is collected)."""
        if self._scratch is not None:
            self._scratch.close()
        self._files, self._scratch = None, None


class SpillSorter:
    """Sort records by ``record[0]`` with bounded memory (see the module docstring)."""

    def __init__(
        self,
        *,
        run_bytes: int | None = None,
        record_cost: int = RECORD_COST,
        directory: str | None = None,
    ) -> None:
        self.run_bytes = RUN_BYTES if run_bytes is None else run_bytes
        self.record_cost, self.directory = record_cost, directory
        self._buffer: list[Record] = []
        self._held = 0
        self._runs: list[tuple[str, str, str]] = []  # (first path, last path, file)
        self._scratch: _Scratch | None = None
        self._result: Records | None = None
        self.count = 0
        #: Every record so far came in strictly ascending path order (no sort, no merge).
        self.ordered = True
        self._last: str | None = None

    def __enter__(self) -> SpillSorter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(keep_result=exc[0] is None)

    def __len__(self) -> int:
        return self.count

    def add(self, record: Record) -> None:
        """Buffer one record; a full buffer is sorted and spilled as a run."""
        if self.ordered:
            path = record[0]
            if self._last is not None and not path > self._last:
                self.ordered = False
            self._last = path
        self._buffer.append(record)
        self.count += 1
        self._held += self.record_cost + len(record[0])
        if self._held >= self.run_bytes:
            self._spill()

    def add_block(self, records: list[Record]) -> None:
        """Buffer many records at once (cheaper per record than :meth:`add`).

        A block in strictly ascending order that starts after the last record keeps
        :attr:`ordered`; any other block ends it (and the records are sorted as usual)."""
        if not records:
            return
        paths = [record[0] for record in records]
        if self.ordered:
            if (self._last is not None and not paths[0] > self._last) or not all(
                map(str.__lt__, paths, itertools.islice(paths, 1, None))
            ):
                self.ordered = False
            self._last = paths[-1]
        self._buffer += records
        self.count += len(records)
        self._held += self.record_cost * len(records) + sum(map(len, paths))
        if self._held >= self.run_bytes:
            self._spill()

    def extend(self, records: Iterable[Record]) -> None:
        for record in records:
            self.add(record)

    def _spill(self) -> None:
        buffer, self._buffer, self._held = self._buffer, [], 0
        if not buffer:
            return
        if not self.ordered:
            buffer.sort()
        if self._scratch is None:
            self._scratch = _Scratch(self.directory)
        name = self._scratch.new_file()
        _write(name, buffer)
        self._runs.append((buffer[0][0], buffer[-1][0], name))

    def drain(self) -> Iterator[Record]:
        """Every record once, sorted by path; raises InputError on a path seen twice.

        When runs were spilled, the merged stream is written to a file on the way (the runs
        are removed once it is complete) for :meth:`result` to read back; records that came
        in order are read back from their runs as they are."""
        if self.ordered:
            yield from self.sorted_result()
            return
        if self._runs:
            self._spill()
            assert self._scratch is not None
            name = self._scratch.new_file()
            written = 0
            with open(name, "wb") as handle:
                for block in _blocks(_checked(_merge(self._runs))):
                    data = marshal.dumps(block)
                    handle.write(_LENGTH.pack(len(data)))
                    handle.write(data)
                    written += len(block)
                    yield from block
            for _first, _last, run in self._runs:
                os.unlink(run)
            self._runs = []
            self._result = Records(written, None, [name], self._scratch)
            return
        self._buffer.sort()
        yield from _checked(iter(self._buffer))
        self._result = Records(len(self._buffer), self._buffer, None, None)
        self._buffer = []

    def sorted_result(self) -> Records:
        """The result without a pass over the records: only while :attr:`ordered`."""
        if not self.ordered:
            raise ValueError("records came out of order: drain() the sorter")
        if self._result is None:
            if self._runs:
                self._spill()
                files = [name for _first, _last, name in self._runs]
                self._result = Records(self.count, None, files, self._scratch)
                self._runs = []
            else:
                self._result = Records(len(self._buffer), self._buffer, None, None)
            self._buffer = []
        return self._result

    def result(self) -> Records:
        """The sorted records (after :meth:`drain` ran to its end)."""
        if self._result is None:
            raise ValueError("drain() the sorter before asking for its result")
        return self._result

    def close(self, *, keep_result: bool = False) -> None:
        """Remove the spill directory (``keep_result``: all but the merged output)."""
        self._buffer = []
        if keep_result and self._result is not None and not self._runs:
            return
        if self._scratch is not None:
            self._scratch.close()
        self._runs, self._result = [], None


def _merge(runs: list[tuple[str, str, str]]) -> Iterator[Record]:
    """Merge sorted runs; runs whose path ranges do not overlap are concatenated."""
    ordered = sorted(runs)
    groups: list[list[str]] = []
    group_last = None
    for first, last, name in ordered:
        if groups and group_last is not None and first <= group_last:
            groups[-1].append(name)
            group_last = max(group_last, last)
        else:
            groups.append([name])
            group_last = last
    for group in groups:
        if len(group) == 1:
            yield from _read(group[0])
        else:
            yield from heapq.merge(*(_read(name) for name in group))


def _checked(records: Iterator[Record]) -> Iterator[Record]:
    """Pass sorted records through, refusing a path that appears twice."""
    previous = None
    for record in records:
        path = record[0]
        if path == previous:
            raise InputError(f"{path}: listed twice; a tree cannot hold two files of one name")
        previous = path
        yield record
