"""The one place mbom computes file digests and directory Merkle roots.

Usage::

    from mbom.hashing import hash_tree, hash_file

    tree = hash_tree("model/", algorithms=("sha256", "blake3"), cache=True)
    tree.root("sha256")              # hex Merkle root over (path, size, digest) of every file
    for entry in tree.files:         # sorted by path, POSIX, relative to model/
        print(entry.path, entry.size, entry.digests["sha256"])

    hash_file("model.safetensors").digests["sha256"]

Files are hashed in parallel (one thread per core), streamed through a fixed buffer (memory
stays flat whatever the file size), and one read feeds every requested algorithm. Producers
may pass ``cache=True`` to reuse digests of unchanged files; verification must not (see
``mbom.hashing._cache``). The Merkle root is specified in docs/directory-digest.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from mbom.errors import InputError
from mbom.hashing._algorithms import (
    ALGORITHMS,
    CYCLONEDX_NAMES,
    DEFAULT_ALGORITHM,
    DIGEST_SIZES,
    check_algorithm,
    digest_bytes,
)
from mbom.hashing._cache import HashCache, now_ns
from mbom.hashing._engine import default_jobs, hash_jobs
from mbom.hashing._walk import DEFAULT_IGNORE_PATTERNS, IGNORE_FILE, walk_tree
from mbom.hashing.merkle import leaf_hash, root_from_leaves

__all__ = [
    "ALGORITHMS",
    "CYCLONEDX_NAMES",
    "DEFAULT_ALGORITHM",
    "DEFAULT_IGNORE_PATTERNS",
    "DIGEST_SIZES",
    "IGNORE_FILE",
    "FileDigest",
    "HashCache",
    "ProgressSink",
    "TreeDigest",
    "check_algorithm",
    "default_jobs",
    "hash_file",
    "hash_tree",
    "merkle_root",
]


@dataclass(frozen=True, slots=True)
class FileDigest:
    """One file of a tree: POSIX path relative to the root, size in bytes, hex digests.

    For a symbolic link (never followed), ``symlink`` is the link's target, ``size`` its
    length in bytes and each digest the digest of the target string.
    """

    path: str
    size: int
    digests: Mapping[str, str]
    symlink: str | None = None


@dataclass(frozen=True, slots=True)
class TreeDigest:
    """The digests of a file or of every file under a directory."""

    path: str
    is_directory: bool
    algorithms: tuple[str, ...]
    files: tuple[FileDigest, ...]
    roots: Mapping[str, str] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    cached: int = 0

    def root(self, algorithm: str | None = None) -> str | None:
        """Merkle root in hex for a directory; None for a single file."""
        return self.roots.get(algorithm or self.algorithms[0])

    @property
    def total_size(self) -> int:
        return sum(entry.size for entry in self.files)


class ProgressSink(Protocol):
    """Receives progress from a long hash run (the CLI draws a bar; the library draws nothing)."""

    def start(self, total_bytes: int, total_files: int) -> None: ...

    def advance(self, nbytes: int) -> None: ...


def merkle_root(files: Iterable[FileDigest], algorithm: str = DEFAULT_ALGORITHM) -> str:
    """Hex Merkle root over ``files`` (any order; sorted by path here)."""
    ordered = sorted(files, key=lambda entry: entry.path)
    leaves = [
        leaf_hash(
            algorithm,
            entry.path,
            entry.size,
            bytes.fromhex(entry.digests[algorithm]),
            symlink=entry.symlink is not None,
        )
        for entry in ordered
    ]
    return root_from_leaves(algorithm, leaves).hex()


def hash_file(
    path: str | os.PathLike[str], algorithms: Sequence[str] = (DEFAULT_ALGORITHM,)
) -> FileDigest:
    """Digest one file (symlinks followed, no cache); ``path`` in the result is its name."""
    tree = hash_tree(path, algorithms=algorithms, cache=False)
    if tree.is_directory:
        raise InputError(f"{os.fspath(path)}: is a directory, expected a file")
    return tree.files[0]


def hash_tree(
    path: str | os.PathLike[str],
    *,
    algorithms: Sequence[str] = (DEFAULT_ALGORITHM,),
    jobs: int | None = None,
    cache: bool | HashCache = False,
    use_ignore: bool = True,
    extra_ignore: Sequence[str] = (),
    progress: ProgressSink | None = None,
) -> TreeDigest:
    """Digest a file, or every file under a directory, and the directory's Merkle roots.

    ``cache=True`` uses the user's hash cache (or pass a :class:`HashCache`). ``use_ignore``
    applies the default ignore set and the root's ``.mbomignore``; ``extra_ignore`` adds
    gitignore-style patterns. Raises :class:`mbom.errors.InputError` subclasses for a missing
    path, an unreadable file, a symlink leaving the root or a special file.
    """
    names = tuple(dict.fromkeys(check_algorithm(name) for name in algorithms))
    if not names:
        raise InputError("no hash algorithm given")
    if jobs is not None and jobs < 1:
        raise InputError(f"--jobs must be at least 1, got {jobs}")
    given = os.fspath(path)
    root = os.path.abspath(given)
    if not os.path.exists(root):
        raise InputError(f"{given}: no such file or directory", path=given)
    is_directory = os.path.isdir(root)
    if is_directory:
        walk = walk_tree(root, use_ignore=use_ignore, extra_ignore=extra_ignore)
        rows = walk.files
        links, ignored = walk.links, walk.ignored
    else:
        st = os.stat(root)
        name = os.path.basename(root)
        rows = [(name, root, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)]
        links, ignored = [], []

    store = HashCache() if cache is True else (cache or None)
    cached: dict[int, tuple[str, ...]] = {}
    if store is not None:
        cached = _cache_hits(store, names, root, rows)
    pending = [index for index in range(len(rows)) if index not in cached]
    started = now_ns()
    if progress is not None:
        progress.start(sum(rows[i][2] for i in pending), len(pending))
    results = hash_jobs(
        [(rows[i][1], rows[i][2]) for i in pending],
        names,
        workers=jobs,
        progress=progress.advance if progress is not None else None,
        follow_symlinks=not is_directory,
    )
    digests: dict[int, tuple[str, ...]] = dict(cached)
    sizes: dict[int, int] = {index: rows[index][2] for index in cached}
    for index, (size, _identity, hexes) in zip(pending, results):
        digests[index] = hexes
        sizes[index] = size
    if store is not None and pending:
        for position, name in enumerate(names):
            store.store(
                name,
                (
                    (rows[index][1], identity, hexes[position])
                    for index, (size, identity, hexes) in zip(pending, results)
                    if size == identity[0]
                ),
                started,
            )
    files = [
        FileDigest(rows[i][0], sizes[i], dict(zip(names, digests[i]))) for i in range(len(rows))
    ]
    files.extend(_link_digest(rel, target, names) for rel, target in links)
    files.sort(key=lambda entry: entry.path)
    roots = {name: merkle_root(files, name) for name in names} if is_directory else {}
    return TreeDigest(
        path=given,
        is_directory=is_directory,
        algorithms=names,
        files=tuple(files),
        roots=roots,
        ignored=tuple(ignored),
        cached=len(cached),
    )


def _cache_hits(
    store: HashCache, names: Sequence[str], root: str, rows: Sequence[tuple]
) -> dict[int, tuple[str, ...]]:
    """Indexes of rows whose every requested digest is cached under an unchanged identity."""
    tables = [store.lookup(name, root) for name in names]
    hits: dict[int, tuple[str, ...]] = {}
    for index, row in enumerate(rows):
        identity = row[2:7]
        found = []
        for table in tables:
            entry = table.get(row[1])
            if entry is None or entry[0] != identity:
                break
            found.append(entry[1])
        else:
            hits[index] = tuple(found)
    return hits


def _link_digest(rel: str, target: str, names: Sequence[str]) -> FileDigest:
    encoded = target.encode("utf-8", "surrogateescape")
    return FileDigest(
        rel, len(encoded), {name: digest_bytes(name, encoded).hex() for name in names}, target
    )
