"""File digests as plain tuples (what the spill sort stores) and a tree's files read back.

A record is ``(path, size, hex digests, symlink, mode, version, leaves)``: digests and Merkle
leaves in the tree's algorithm order, every field a str, int, bytes, None or tuple of them,
so ``marshal`` can write it and a million of them cost a fraction of FileDigest + dict.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

from mbom.hashing._reader import FAST_CONSTRUCTORS as _SHA2
from mbom.hashing._spill import Records
from mbom.hashing._types import FileDigest
from mbom.hashing.merkle import _U64, leaf_hash

_pack = _U64.pack

#: Up to this many files, a tree's files are a tuple in memory (every small model, fast);
#: above, they stay in the spill file and are read back on each iteration.
SMALL_TREE = 100_000

Record = tuple[Any, ...]


def to_record(entry: FileDigest, names: Sequence[str]) -> Record:
    """A FileDigest (e.g. from a remote location) as a record, its Merkle leaves computed."""
    hexes = tuple(entry.digests[name] for name in names)
    if len(names) == 1 and entry.symlink is None and names[0] in _SHA2:
        # The common case, inlined (a million of these run in the driver): the leaf preimage
        # of docs/directory-digest.md, as merkle.leaf_preimage builds it.
        path = entry.path.encode("utf-8")
        preimage = b"\x00f" + _pack(len(path)) + path + _pack(entry.size) + bytes.fromhex(hexes[0])
        leaves: tuple[bytes, ...] = (_SHA2[names[0]](preimage).digest(),)
    else:
        link = entry.symlink is not None
        leaves = tuple(
            leaf_hash(name, entry.path, entry.size, bytes.fromhex(value), symlink=link)
            for name, value in zip(names, hexes)
        )
    return (entry.path, entry.size, hexes, entry.symlink, entry.mode, entry.version, leaves)


def from_record(record: Record, names: Sequence[str]) -> FileDigest:
    """The FileDigest a record stands for (its leaves dropped)."""
    path, size, hexes, symlink, mode, version, _leaves = record
    return FileDigest(path, size, dict(zip(names, hexes)), symlink, mode, version)


# FileDigest's own __new__ is a Python function with defaults; building the tuple directly
# gives the same object at a fraction of the cost (a million of these for a large tree).
_new_digest = tuple.__new__


def decoder(names: Sequence[str]) -> Any:
    """A fast record -> FileDigest function for these algorithms."""
    if len(names) == 1:
        only = names[0]

        def one(record: Record) -> FileDigest:
            return _new_digest(FileDigest, (*record[:2], {only: record[2][0]}, *record[3:6]))

        return one
    return lambda record: from_record(record, names)


def decode_all(records: Iterable[Record], names: Sequence[str]) -> tuple[FileDigest, ...]:
    """Every record as a FileDigest, in one comprehension for a single algorithm (no call
    per record: 43 -> 18 ms for 20,000 records)."""
    if len(names) != 1:
        return tuple(map(decoder(names), records))
    only = names[0]
    return tuple(
        [_new_digest(FileDigest, (r[0], r[1], {only: r[2][0]}, r[3], r[4], r[5])) for r in records]
    )


class DiskFiles(Sequence[FileDigest]):
    """A large tree's files, sorted by path, read back from the merged spill file.

    Read-only: ``len``, iteration (each one a fresh sequential read), ``bool``; indexing
    and slicing scan from the start (meant for ``files[0]`` of a one-file tree).
    """

    def __init__(self, records: Records, names: Sequence[str]) -> None:
        self._records, self._decode = records, decoder(names)

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[FileDigest]:
        return map(self._decode, self._records)

    @property
    def records(self) -> Records:
        """The raw records (:data:`Record` tuples, in path order): for writers that stream a
        million of them and need no FileDigest (the sidecar manifest)."""
        return self._records

    @overload
    def __getitem__(self, index: int) -> FileDigest: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[FileDigest, ...]: ...

    def __getitem__(self, index: int | slice) -> FileDigest | tuple[FileDigest, ...]:
        if isinstance(index, slice):
            return (
                tuple(self)[index]
                if index.step or (index.start or 0) < 0
                else tuple(itertools.islice(self, index.start, index.stop))
            )
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError("file index out of range")
        return next(itertools.islice(self, position, None))

    def close(self) -> None:
        """Remove the spill file now (else when this sequence is collected)."""
        self._records.close()

    def __repr__(self) -> str:
        return f"<DiskFiles of {len(self)} files>"


class DiskPaths(Sequence[str]):
    """A large tree's ignored paths, sorted, read back from their spill file."""

    def __init__(self, records: Records) -> None:
        self._records = records

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[str]:
        return (record[0] for record in self._records)

    def __getitem__(self, index: Any) -> Any:
        return tuple(self)[index]
