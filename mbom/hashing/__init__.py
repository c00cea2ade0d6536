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
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from mbom._pinned import Identity, file_identity
from mbom.errors import InputError
from mbom.hashing._algorithms import (
    ALGORITHMS,
    CYCLONEDX_NAMES,
    DEFAULT_ALGORITHM,
    DIGEST_SIZES,
    check_algorithm,
)
from mbom.hashing._cache import HashCache, filesystem_horizon, settled_horizon
from mbom.hashing._engine import default_jobs
from mbom.hashing._ignore import (
    DEFAULT_IGNORE_PATTERNS,
    IGNORE_FILE,
    is_loadable,
    recorded_mode,
)
from mbom.hashing._types import FileDigest, ProgressSink, TreeDigest
from mbom.hashing._walk import Anomaly
from mbom.hashing.merkle import leaf_hash, root_from_leaves

if TYPE_CHECKING:
    from mbom.hashing._stream import Executor

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
    "Identity",
    "ProgressSink",
    "TreeDigest",
    "check_algorithm",
    "default_jobs",
    "file_identity",
    "filesystem_horizon",
    "hash_file",
    "hash_file_identified",
    "hash_tree",
    "is_loadable",
    "merkle_root",
    "recorded_mode",
    "settled_horizon",
]


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


def hash_file_identified(path: str, algorithms: Sequence[str]) -> tuple[dict[str, str], Identity]:
    """Hex digests of one file (symlinks followed, no cache) and the identity of what was read."""
    from mbom.hashing._engine import hash_files

    names = tuple(check_algorithm(name) for name in algorithms)
    _size, identity, hexes, _leaves, _cached, _mode = hash_files(
        [path], names, follow_symlinks=True
    )[0]
    return dict(zip(names, hexes)), identity


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
    executor: Executor | None = None,
    meanwhile: Callable[[], None] | None = None,
    observe: Callable[[str, Identity], None] | None = None,
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

    A URL (``s3://...``) or an ``executor`` (e.g. Dask) goes through
    :func:`mbom.hashing._stream.hash_location` (no hash cache there); a local path without
    one is walked and hashed here, in batches. Memory stays flat at any file count either
    way: a large tree's ``files`` is read back from a spill file (see :class:`TreeDigest`).

    ``meanwhile``: digest-free work of the caller's, called at most once, in this thread,
    while forked workers hash large files (this process would only wait); not called at all
    when no worker hashes, so the caller runs it afterwards if it has not run.

    ``observe(path, identity)``: called, for a local path without an executor, with each
    regular file's relative path and the :func:`file_identity` of the descriptor its bytes
    were read from (or its cached digest matched), so a caller that reads the file again can
    prove it read the same file (mbom.capture.inspection).
    """
    names = tuple(dict.fromkeys(check_algorithm(name) for name in algorithms))
    if not names:
        raise InputError("no hash algorithm given")
    if jobs is not None and jobs < 1:
        raise InputError(f"--jobs must be at least 1, got {jobs}")
    given = os.fspath(path)
    within = None if follow_symlinks_within is None else os.fspath(follow_symlinks_within)
    # A tree may hold a million files: building their records would trigger the cyclic
    # garbage collector over and over, for objects that cannot form cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        from mbom.hashing._location import is_remote

        if executor is not None or is_remote(given):
            return _hash_location(
                given,
                names,
                executor,
                progress,
                report_anomalies,
                use_ignore=use_ignore,
                extra_ignore=extra_ignore,
                follow_within=within,
                ignore_file=ignore_file,
            )
        from mbom.hashing._tree import hash_local

        store = HashCache() if cache is True else (cache or None)
        return hash_local(
            given,
            names,
            jobs=jobs,
            store=store,
            use_ignore=use_ignore,
            extra_ignore=extra_ignore,
            progress=progress,
            follow_within=within,
            ignore_file=ignore_file,
            report_anomalies=report_anomalies,
            meanwhile=meanwhile,
            observe=observe,
        )
    finally:
        if collecting:
            gc.enable()


def _hash_location(
    given: str,
    names: tuple[str, ...],
    executor: Executor | None,
    progress: ProgressSink | None,
    tolerant: bool,
    **walk: object,
) -> TreeDigest:
    """A URL, or a local tree on an executor: through the generic Location driver."""
    from mbom.hashing._location import is_remote, open_location
    from mbom.hashing._stream import hash_location

    if is_remote(given):
        location = open_location(given)
    else:
        from mbom.hashing._local import LocalLocation

        location = LocalLocation(given.removeprefix("file://"), **walk)  # type: ignore[arg-type]
    return hash_location(location, names, executor=executor, progress=progress, tolerant=tolerant)
