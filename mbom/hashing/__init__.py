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

import gc
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from mbom.errors import InputError
from mbom.hashing._algorithms import (
    ALGORITHMS,
    CYCLONEDX_NAMES,
    DEFAULT_ALGORITHM,
    DIGEST_SIZES,
    check_algorithm,
    digest_bytes,
)
from mbom.hashing._cache import HashCache
from mbom.hashing._engine import FAILED, default_jobs, hash_files
from mbom.hashing._ignore import (
    DEFAULT_IGNORE_PATTERNS,
    IGNORE_FILE,
    is_loadable,
    recorded_mode,
)
from mbom.hashing._walk import SPECIAL_FILE, UNREADABLE, Anomaly, printable, walk_tree
from mbom.hashing.merkle import leaf_hash, root_from_leaves

__all__ = [
    "ALGORITHMS",
    "CYCLONEDX_NAMES",
    "DEFAULT_ALGORITHM",
    "DEFAULT_IGNORE_PATTERNS",
    "DIGEST_SIZES",
    "IGNORE_FILE",
    "Anomaly",
    "FileDigest",
    "HashCache",
    "ProgressSink",
    "TreeDigest",
    "check_algorithm",
    "default_jobs",
    "hash_file",
    "hash_tree",
    "is_loadable",
    "merkle_root",
    "recorded_mode",
]


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
    """The digests of a file or of every file under a directory."""

    path: str
    is_directory: bool
    algorithms: tuple[str, ...]
    files: tuple[FileDigest, ...]
    roots: Mapping[str, str] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    cached: int = 0
    anomalies: tuple[Anomaly, ...] = ()
    """What could not be hashed (escaping link, special file, undecodable name, unreadable
    file or directory); only filled when ``hash_tree(report_anomalies=True)``."""

    def root(self, algorithm: str | None = None) -> str | None:
        """Merkle root in hex for a directory; None for a single file."""
        return self.roots.get(algorithm or self.algorithms[0])

    @property
    def total_size(self) -> int:
        return sum(entry.size for entry in self.files)


class ProgressSink(Protocol):
    """Receives progress from a long hash run (the CLI draws a bar; the library draws nothing)."""

    def start(self, total_bytes: int, total_files: int) -> None:
        """Called once the large files (those streamed in chunks) are known."""

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
    follow_symlinks_within: str | os.PathLike[str] | None = None,
    ignore_file: bool = True,
    report_anomalies: bool = False,
) -> TreeDigest:
    """Digest a file, or every file under a directory, and the directory's Merkle roots.

    ``cache=True`` uses the user's hash cache (or pass a :class:`HashCache`). ``use_ignore``
    applies the default ignore set and the root's ``.mbomignore`` (``ignore_file=False``
    leaves the file out: verification uses the defaults only); ``extra_ignore`` adds
    gitignore-style patterns. ``follow_symlinks_within`` (a directory enclosing the root, e.g.
    a Hugging Face cache repo folder whose snapshots link into ``blobs/``): a symbolic link
    that resolves to a regular file inside it is hashed as that file, under the link's name.
    Raises :class:`mbom.errors.InputError` subclasses for a missing path, an unreadable file,
    a symlink leaving the root (or ``follow_symlinks_within``) or a special file -- unless
    ``report_anomalies`` (a verifier: these are findings about the model, not input errors):
    then they are left out of ``files`` and listed in ``TreeDigest.anomalies``.
    """
    # A tree may hold a million files: building their records would trigger the cyclic
    # garbage collector over and over, for objects that cannot form cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _hash_tree(
            path,
            algorithms,
            jobs,
            cache,
            use_ignore,
            extra_ignore,
            progress,
            follow_symlinks_within,
            ignore_file,
            report_anomalies,
        )
    finally:
        if collecting:
            gc.enable()


def _hash_tree(
    path: str | os.PathLike[str],
    algorithms: Sequence[str],
    jobs: int | None,
    cache: bool | HashCache,
    use_ignore: bool,
    extra_ignore: Sequence[str],
    progress: ProgressSink | None,
    follow_within: str | os.PathLike[str] | None,
    ignore_file: bool = True,
    report_anomalies: bool = False,
) -> TreeDigest:
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
    anomalies: list[Anomaly] | None = [] if report_anomalies else None
    if is_directory:
        walk = walk_tree(
            root,
            use_ignore=use_ignore,
            extra_ignore=extra_ignore,
            follow_within=None if follow_within is None else os.fspath(follow_within),
            ignore_file=ignore_file,
            anomalies=anomalies,
        )
        rows, links, ignored = walk.files, walk.links, walk.ignored
    else:
        single = _check_single(given, root, anomalies)
        rows, links, ignored = [(os.path.basename(root), root)] if single else [], [], []
    paths = [row[1] for row in rows]

    store = HashCache() if cache is True else (cache or None)
    known = _cached_digests(store, names, root) if store is not None else {}
    horizon = store.racy_horizon(root) if store is not None else 0
    results = hash_files(
        paths,
        names,
        names=[row[0] for row in rows] if is_directory else None,
        cached=known,
        workers=jobs,
        on_large=progress.start if progress is not None else None,
        progress=progress.advance if progress is not None else None,
        follow_symlinks=not is_directory,
        tolerant=report_anomalies,
    )
    if report_anomalies and any(r[0] == FAILED for r in results):
        kept = [i for i, r in enumerate(results) if r[0] != FAILED]
        for row, r in zip(rows, results):
            if r[0] == FAILED:
                anomalies.append(Anomaly(printable(row[0]), UNREADABLE, r[2][0]))  # type: ignore[union-attr]
        rows = [rows[i] for i in kept]
        paths = [paths[i] for i in kept]
        results = [results[i] for i in kept]
    fresh = [(path, result) for path, result in zip(paths, results) if not result[4]]
    if store is not None and fresh:
        for position, name in enumerate(names):
            store.store(
                name,
                ((path, r[1], r[2][position]) for path, r in fresh if r[0] == r[1][0]),
                horizon,
            )
    if len(names) == 1:
        only = names[0]
        files = [
            FileDigest(row[0], r[0], {only: r[2][0]}, None, r[5]) for row, r in zip(rows, results)
        ]
    else:
        files = [
            FileDigest(row[0], r[0], dict(zip(names, r[2])), None, r[5])
            for row, r in zip(rows, results)
        ]
    roots: dict[str, str] = {}
    if is_directory:
        link_entries = [_link_digest(rel, target, names) for rel, target in links]
        leaves = [(row[0], result[3]) for row, result in zip(rows, results)]
        if link_entries:  # rows are sorted by path already; links must be merged in
            leaves += [(entry.path, _link_leaves(entry, names)) for entry in link_entries]
            leaves.sort()
        roots = {
            name: root_from_leaves(name, [pair[1][position] for pair in leaves]).hex()
            for position, name in enumerate(names)
        }
        files.extend(link_entries)
        files.sort(key=lambda entry: entry.path)
    return TreeDigest(
        path=given,
        is_directory=is_directory,
        algorithms=names,
        files=tuple(files),
        roots=roots,
        ignored=tuple(ignored),
        cached=len(results) - len(fresh),
        anomalies=tuple(sorted(anomalies or (), key=lambda a: a.path)),
    )


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


def _cached_digests(
    store: HashCache, names: Sequence[str], root: str
) -> dict[str, tuple[tuple[int, int, int, int, int], tuple[str, ...]]]:
    """Path -> (identity, digests) for files whose every requested digest is cached alike."""
    tables = [store.lookup(name, root) for name in names]
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


def _link_leaves(entry: FileDigest, names: Sequence[str]) -> tuple[bytes, ...]:
    return tuple(
        leaf_hash(name, entry.path, entry.size, bytes.fromhex(entry.digests[name]), symlink=True)
        for name in names
    )


def _link_digest(rel: str, target: str, names: Sequence[str]) -> FileDigest:
    encoded = target.encode("utf-8", "surrogateescape")
    return FileDigest(
        rel, len(encoded), {name: digest_bytes(name, encoded).hex() for name in names}, target
    )
