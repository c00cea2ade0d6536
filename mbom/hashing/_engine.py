"""Hash many files in parallel: small files in worker processes, large files in threads.

Per-file costs (open, fstat, read, digest, close, bookkeeping) dominate small files and hold
the GIL, so threads cannot share them: above :data:`FORK_MIN_FILES` files, the work is split
with forked worker processes (POSIX, and only when no other Python thread runs). Each worker
opens its share of files, learns their identity with ``fstat``, reuses cached digests whose
identity is unchanged, hashes small files in one read, computes their Merkle leaves, and
hands large files back. Large files are then hashed by one thread per core, largest first:
hashlib and blake3 release the GIL on big buffers, so threads use every core.
"""

from __future__ import annotations

import mmap
import os
import stat
import threading
from collections.abc import Callable, Mapping, Sequence

from mbom._pinned import Identity, file_identity
from mbom.errors import UnreadableFileError
from mbom.hashing._algorithms import one_shot
from mbom.hashing._mapped import can_fork_workers, changed_error, hash_mapped
from mbom.hashing._reader import FAST_CONSTRUCTORS as _FAST
from mbom.hashing._reader import (
    Progress,
    block_size,
    digest_small,
    digest_stream,
    open_fd,
    open_file,
    read_buffer,
)
from mbom.hashing._workers import Child, can_fork, fork_child
from mbom.hashing.merkle import _U64, leaf_preimage

#: Below this size a file is read in one call where it is opened; above, it goes to threads.
SMALL_FILE = 1024 * 1024
#: From this many files on, small files are shared out to worker processes.
FORK_MIN_FILES = 2000

# Per file: (bytes hashed, identity at open, hex digests, Merkle leaves or (), from cache,
# st_mode). A file that could not be read when the caller tolerates it (verify): bytes hashed
# is FAILED and the digests are the one-line reason.
Result = tuple[int, Identity, tuple[str, ...], tuple[bytes, ...], bool, int]
FAILED = -1
Cached = Mapping[str, tuple[Identity, tuple[str, ...]]]


def default_jobs() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _Plan:
    """What every worker needs: paths, leaf names, algorithms, cached digests."""

    def __init__(
        self,
        paths: Sequence[str],
        names: Sequence[str] | None,
        algorithms: Sequence[str],
        cached: Cached,
        follow_symlinks: bool,
        tolerant: bool = False,
    ) -> None:
        self.paths, self.names, self.algorithms = paths, names, tuple(algorithms)
        self.cached, self.follow, self.tolerant = cached, follow_symlinks, tolerant
        self._leaf_hashers = [one_shot(name) for name in self.algorithms]

    def finish(
        self, index: int, size: int, identity: Identity, raw: tuple[bytes, ...], mode: int
    ) -> Result:
        """The result of one hashed file: hex digests and, when asked, its Merkle leaves."""
        leaves: tuple[bytes, ...] = ()
        if self.names is not None:
            name = self.names[index]
            leaves = tuple(
                new(leaf_preimage(name, size, value)).digest()
                for new, value in zip(self._leaf_hashers, raw)
            )
        return size, identity, tuple(value.hex() for value in raw), leaves, False, mode

    def reuse(self, index: int, identity: Identity, hexes: tuple[str, ...], mode: int) -> Result:
        """The result of a file whose digests came from the cache."""
        raw = tuple(map(bytes.fromhex, hexes))
        result = self.finish(index, identity[0], identity, raw, mode)
        return (*result[:4], True, mode)

    def failed(self, error: Exception) -> Result:
        """A file that cannot be read, when tolerated; else ``error`` is raised."""
        if not self.tolerant:
            raise error
        reason = getattr(error, "message", None) or str(error)
        return FAILED, (0, 0, 0, 0, 0), (reason,), (), False, 0

    def probe(
        self, indexes: Sequence[int]
    ) -> tuple[list[tuple[int, Result]], list[tuple[int, int]]]:
        """Hash small files and reuse cached digests; return (done, large files left).

        This loop runs once per file of a tree (a million for a large dataset), so it is
        written flat, with everything it calls bound to locals.
        """
        done: list[tuple[int, Result]] = []
        large: list[tuple[int, int]] = []
        paths, names, cached, algorithms = self.paths, self.names, self.cached, self.algorithms
        single = _FAST.get(algorithms[0]) if len(algorithms) == 1 else None
        leaf_new = self._leaf_hashers[0]
        fstat, read, close, is_regular = os.fstat, os.read, os.close, stat.S_ISREG
        pack = _U64.pack
        for index in indexes:
            path = paths[index]
            try:
                fd = open_fd(path, self.follow)
            except UnreadableFileError as exc:
                done.append((index, self.failed(exc)))
                continue
            try:
                st = fstat(fd)
                if not is_regular(st.st_mode):
                    raise UnreadableFileError(f"{path}: not a regular file", path=path)
                size, mode = st.st_size, st.st_mode
                identity = file_identity(st)
                hit = cached.get(path) if cached else None
                if hit is not None and hit[0] == identity:
                    done.append((index, self.reuse(index, identity, hit[1], mode)))
                elif size > SMALL_FILE:
                    large.append((index, size))
                elif single is not None:
                    data = read(fd, size + 1)
                    if len(data) > size:  # grew since fstat: take the general path
                        size, raw = digest_small(fd, size, algorithms, path, prefix=data)
                        done.append((index, self.finish(index, size, identity, raw, mode)))
                        continue
                    digest = single(data).digest()
                    leaves: tuple[bytes, ...] = ()
                    if names is not None:
                        name = names[index].encode("utf-8")
                        preimage = b"\x00f" + pack(len(name)) + name + pack(len(data)) + digest
                        leaves = (leaf_new(preimage).digest(),)
                    done.append(
                        (index, (len(data), identity, (digest.hex(),), leaves, False, mode))
                    )
                else:
                    size, raw = digest_small(fd, size, algorithms, path)
                    done.append((index, self.finish(index, size, identity, raw, mode)))
            except UnreadableFileError as exc:
                done.append((index, self.failed(exc)))
            except OSError as exc:
                error = UnreadableFileError(f"{path}: read failed: {exc.strerror}", path=path)
                if not self.tolerant:
                    raise error from exc
                done.append((index, self.failed(error)))
            finally:
                close(fd)
        return done, large

    def stream(
        self, index: int, buffer: mmap.mmap, progress: Progress | None, parallel: bool
    ) -> Result:
        path = self.paths[index]
        try:
            fd, identity = open_file(path, follow_symlinks=self.follow)
        except UnreadableFileError as exc:
            return self.failed(exc)
        try:
            mode = os.fstat(fd).st_mode
            size, raw = digest_stream(
                fd, self.algorithms, buffer, path, progress=progress, parallel=parallel
            )
            if size != identity[0]:  # shrank or grew while it was read
                return self.failed(changed_error(path, identity[0]))
        except UnreadableFileError as exc:
            return self.failed(exc)
        except OSError as exc:
            error = UnreadableFileError(f"{path}: read failed: {exc.strerror}", path=path)
            if not self.tolerant:
                raise error from exc
            return self.failed(error)
        finally:
            os.close(fd)
        return self.finish(index, size, identity, raw, mode)


def hash_files(
    paths: Sequence[str],
    algorithms: Sequence[str],
    *,
    names: Sequence[str] | None = None,
    cached: Cached | None = None,
    workers: int | None = None,
    on_large: Callable[[int, int], None] | None = None,
    progress: Progress | None = None,
    follow_symlinks: bool = False,
    tolerant: bool = False,
) -> list[Result]:
    """Digest every file in ``paths``; results in the same order.

    ``names`` (relative names) asks for Merkle leaves too. ``cached`` maps a path to a known
    (identity, digests): reused when the opened file has that identity. ``on_large`` is told
    (total bytes, file count) of the large files before they are streamed, for progress bars.
    ``tolerant``: a file that cannot be read gives a FAILED result instead of raising.
    """
    started = start_hashing(
        paths,
        algorithms,
        names=names,
        cached=cached,
        workers=workers,
        follow_symlinks=follow_symlinks,
        tolerant=tolerant,
        share=True,
    )
    return started.finish(on_large, progress)


def start_hashing(
    paths: Sequence[str],
    algorithms: Sequence[str],
    *,
    names: Sequence[str] | None = None,
    cached: Cached | None = None,
    workers: int | None = None,
    follow_symlinks: bool = False,
    tolerant: bool = False,
    share: bool = True,
) -> Started:
    """:func:`hash_files` in two steps: small files start hashing now, :meth:`Started.finish`
    waits for them and streams the large ones.

    ``share=False``: forked workers take every small file and this process is free until
    ``finish`` (a walk can list the next batch meanwhile); with ``share``, it hashes one share
    itself, here.
    """
    plan = _Plan(paths, names, algorithms, cached or {}, follow_symlinks, tolerant)
    workers = workers or default_jobs()
    everything = range(len(paths))
    if workers > 1 and len(paths) >= FORK_MIN_FILES and can_fork():
        # Contiguous shares (neighbouring files share directories: better cache locality).
        share_size = -(-len(paths) // workers)
        parts = [everything[k * share_size : (k + 1) * share_size] for k in range(workers)]
        children = [fork_child(plan, part) for part in (parts[1:] if share else parts)]
        try:
            done, large = plan.probe(parts[0]) if share else ([], [])
        except BaseException:
            for child in children:
                child.abandon()
            raise
        return Started(plan, workers, done, large, children)
    done, large = plan.probe(everything)
    return Started(plan, workers, done, large, [])


class Started:
    """A batch being hashed: small files by forked workers (or already here), large ones left."""

    def __init__(
        self,
        plan: _Plan,
        workers: int,
        done: list[tuple[int, Result]],
        large: list[tuple[int, int]],
        children: list[Child],
    ) -> None:
        self.plan, self.workers, self.done, self.large = plan, workers, done, large
        self.children = children

    def finish(
        self,
        on_large: Callable[[int, int], None] | None = None,
        progress: Progress | None = None,
        meanwhile: Callable[[], None] | None = None,
    ) -> list[Result]:
        """Every file's result, in the order of the paths.

        ``meanwhile`` is called once the large files are being hashed by mapped workers
        (not at all otherwise: the caller runs it itself)."""
        done, large, children = self.done, self.large, self.children
        self.children = []
        try:
            for child in children:
                child_done, child_large = child.collect()
                done += child_done
                large += child_large
        except BaseException:
            for child in children:
                child.abandon()
            raise
        results: list[Result | None] = [None] * len(self.plan.paths)
        for index, result in done:
            results[index] = result
        large.sort(key=lambda item: item[1], reverse=True)

        def announce() -> None:
            if on_large is not None:
                on_large(sum(size for _, size in large), len(large))

        if large and can_fork() and can_fork_workers():
            # Told once the workers are forked: a caller may start a thread then (verify).
            hash_mapped(self.plan, large, results, self.workers, progress, meanwhile, announce)
        else:
            announce()
            _stream_large(self.plan, [i for i, _ in large], results, self.workers, progress)
        return results  # type: ignore[return-value]  # every slot was filled

    def abandon(self) -> None:
        """Stop waiting: the workers are killed and reaped (an error elsewhere)."""
        children, self.children = self.children, []
        for child in children:
            child.abandon()


def _stream_large(
    plan: _Plan,
    indexes: list[int],
    results: list[Result | None],
    workers: int,
    progress: Progress | None,
) -> None:
    # Fewer large files than cores: BLAKE3 spreads each file over all cores by itself.
    # Otherwise one file per core, each digest on one core, is faster (measured: 0.18 s
    # against 0.34 s for 2 GiB in 8 files on 2 cores).
    inside = len(indexes) < workers
    size = block_size(plan.algorithms, inside)
    if not indexes:
        return
    if workers == 1 or len(indexes) == 1:
        buffer = read_buffer(size)
        for index in indexes:
            results[index] = plan.stream(index, buffer, progress, inside)
        return
    # A few plain threads pulling from one queue (concurrent.futures would import logging,
    # several milliseconds of start-up on every run).
    pending = iter(indexes)
    lock = threading.Lock()
    failures: list[BaseException] = []

    def run() -> None:
        buffer = read_buffer(size)
        while not failures:
            with lock:
                index = next(pending, None)
            if index is None:
                return
            try:
                results[index] = plan.stream(index, buffer, progress, inside)
            except BaseException as exc:  # re-raised in the calling thread
                failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(min(workers, len(indexes)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
