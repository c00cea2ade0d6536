"""The values hashing hands to every layer above it: file digests, tree digests, progress."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from mbom.hashing._walk import Anomaly


class FileDigest(NamedTuple):
    """One file of a tree: POSIX path relative to the root, size in bytes, hex digests.

    For a symbolic link (never followed), ``symlink`` is the link's target, ``size`` its
    length in bytes and each digest the digest of the target string. ``mode`` is the file's
    ``st_mode`` when it was hashed from disk (None for links and for digests read from a
    BOM or manifest). ``version`` is the exact object version that was hashed, for a remote
    object: (name, value) pairs, names from ``mbom.hashing._location.VERSION_FIELDS``
    (S3 VersionId and ETag, GCS generation, Hub commit); None for local files. (An immutable named
    tuple rather than a frozen dataclass: a tree may hold a million of them, and a frozen
    dataclass costs several times more to construct.)
    """

    path: str
    size: int
    digests: Mapping[str, str]
    symlink: str | None = None
    mode: int | None = None
    version: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True, slots=True)
class TreeDigest:
    """The digests of a file or of every file under a directory.

    ``files`` is sorted by path: a tuple for a tree of up to
    :data:`mbom.hashing._records.SMALL_TREE` files, else a read-only sequence backed by a
    spill file (``len`` and iteration; memory stays flat whatever the file count), so
    iterate it rather than copy it. ``ignored`` likewise.
    """

    path: str
    is_directory: bool
    algorithms: tuple[str, ...]
    files: Sequence[FileDigest]
    roots: Mapping[str, str] = field(default_factory=dict)
    ignored: Sequence[str] = ()
    cached: int = 0
    anomalies: tuple[Anomaly, ...] = ()
    """What could not be hashed (escaping link, special file, undecodable name, unreadable
    file or directory); only filled when ``hash_tree(report_anomalies=True)``."""
    total_bytes: int | None = None
    """The sum of ``files``' sizes when it was counted while streaming (else computed)."""

    def root(self, algorithm: str | None = None) -> str | None:
        """Merkle root in hex for a directory; None for a single file."""
        return self.roots.get(algorithm or self.algorithms[0])

    @property
    def total_size(self) -> int:
        if self.total_bytes is not None:
            return self.total_bytes
        return sum(entry.size for entry in self.files)


class ProgressSink(Protocol):
    """Receives progress from a long hash run (the CLI draws a bar; the library draws nothing)."""

    def start(self, total_bytes: int, total_files: int) -> None:
        """Called when large files (those streamed in chunks) are known: once per batch of a
        large tree, each call adding to the totals before it."""

    def advance(self, nbytes: int) -> None: ...
