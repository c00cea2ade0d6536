"""Hash a location on a Dask cluster: workers list and read, the driver only schedules.

Usage::

    from mbom.hashing._dask import executor_for

    # "tcp://scheduler:8786", "local:4", or None: $MBOM_DASK_SCHEDULER (None when unset)
    with executor_for("tcp://scheduler:8786") as executor:
        executor.run(location, ("sha256",), emit=sink.extend, progress=None, tolerant=False)

The driver lists the root level only; every sub-directory becomes a listing task on a worker
(which goes on down a small subtree by itself, so a million tiny directories are not a
million tasks). Objects found flow from listing results straight into hashing tasks of up to
:data:`TASK_BYTES` bytes or :data:`TASK_OBJECTS` objects; an object larger than that is a task
of its own (SHA-256 cannot be split), largest first, so one 50 GB shard and ten million 4 KB
objects both spread over the workers. Tasks in flight are capped, and each result (a compact
list of :class:`~mbom.hashing.FileDigest`) is handed to ``emit`` and released at once: driver
memory stays flat whatever the file count. Tasks are pure, with keys unique to the run, so
when a worker is lost Dask re-runs its tasks and the result is the same; ``retries`` covers
failures that are not mbom's own (an mbom error is final and returned as a value, never
retried: the file is unreadable wherever it is read).

dask and distributed are imported only when a cluster is used (``pip install 'mbom[dask]'``).
"""

from __future__ import annotations

import heapq
import itertools
import os
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mbom.errors import InputError, MbomError
from mbom.hashing import _progress
from mbom.hashing._dask_tasks import Failure, hash_task, list_task

if TYPE_CHECKING:
    from distributed import Client, Future

    from mbom.hashing import FileDigest, ProgressSink
    from mbom.hashing._location import Listed, Location

#: Where the scheduler address comes from when ``--dask`` is not given.
ENV_SCHEDULER = "MBOM_DASK_SCHEDULER"
#: A hashing task reads up to this many bytes ...
TASK_BYTES = 256 * 1024 * 1024
#: ... or this many objects (per-object costs dominate small files).
TASK_OBJECTS = 5000
#: A listing task goes on down its subtrees until it has found this many objects ...
LIST_OBJECTS = 5000
#: ... or listed this many directories (and is given at most this many to start from);
#: what is left becomes further listing tasks.
LIST_DIRS = 64
#: Re-runs of a task that failed for a reason other than an mbom error (lost workers are
#: re-run by the scheduler itself, up to ``distributed.scheduler.allowed-failures``).
RETRIES = 2
#: Listing runs before hashing where both wait: it discovers the work (and the large objects).
_LIST_PRIORITY = 1 << 62
MISSING = "--dask needs dask.distributed: pip install 'mbom[dask]'"


def executor_for(spec: str | None) -> DaskExecutor | None:
    """The executor ``--dask SPEC`` names (``tcp://HOST:8786``, any distributed address, or
    ``local:N``); with no spec, ``$MBOM_DASK_SCHEDULER``; None when neither is set (hash here)."""
    given = "--dask"
    if spec is None:
        spec, given = os.environ.get(ENV_SCHEDULER) or None, ENV_SCHEDULER
        if spec is None:
            return None
    spec = spec.strip()
    if spec == "local" or spec.startswith("local:"):
        count = spec.partition(":")[2] or str(_default_workers())
        if not count.isdigit() or int(count) < 1:
            raise InputError(f"{given} {spec}: expected local:N with N >= 1 worker processes")
        return DaskExecutor(local_workers=int(count))
    if not spec:
        raise InputError(f"{given}: empty scheduler address (expected tcp://HOST:8786 or local:N)")
    return DaskExecutor(spec)


class DaskExecutor:
    """Runs listing and hashing of a :class:`Location` as tasks on a Dask cluster.

    Connects on first use (or ``connect()``); ``close()`` (or leaving a ``with`` block)
    disconnects and shuts down a ``local:N`` cluster it started.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        local_workers: int | None = None,
        task_bytes: int = TASK_BYTES,
        task_objects: int = TASK_OBJECTS,
        max_in_flight: int | None = None,
        timeout: float | None = None,
    ) -> None:
        if (address is None) == (local_workers is None):
            raise ValueError("give a scheduler address or a local worker count, not both")
        self.address, self.local_workers = address, local_workers
        self.task_bytes, self.task_objects = max(1, task_bytes), max(1, task_objects)
        self.max_in_flight, self.timeout = max_in_flight, timeout
        self._client: Client | None = None
        self._cluster: Any = None

    @property
    def display(self) -> str:
        """The cluster as it may be printed (user info in an address left out)."""
        if self.address is None:
            return f"local:{self.local_workers}"
        scheme, sep, rest = self.address.rpartition("://")
        return f"{scheme}{sep}{rest.rpartition('@')[2]}"

    def connect(self) -> Client:
        """The client, connected (a one-line InputError when the scheduler cannot be reached)."""
        if self._client is not None:
            return self._client
        distributed = _import_distributed()
        try:
            if self.address is None:
                import logging

                self._cluster = distributed.LocalCluster(
                    n_workers=self.local_workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=":0",
                    silence_logs=logging.ERROR,
                )
                self._client = distributed.Client(self._cluster, set_as_default=False)
            else:
                timeout = self._connect_timeout()
                _probe(self.address, timeout)
                self._client = distributed.Client(
                    self.address, timeout=timeout, set_as_default=False
                )
        except (OSError, TimeoutError, ValueError) as exc:
            self.close()
            raise InputError(
                f"cannot reach the Dask scheduler at {self.display}: {_one_line(exc)}"
            ) from None
        return self._client

    def close(self) -> None:
        """Disconnect; shut down the local cluster if this executor started one."""
        client, cluster, self._client, self._cluster = self._client, self._cluster, None, None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def run(
        self,
        location: Location,
        algorithms: Sequence[str],
        *,
        emit: Callable[[list[FileDigest]], None],
        progress: ProgressSink | None,
        tolerant: bool,
    ) -> None:
        """List and hash everything under ``location``; hand each batch of records to ``emit``
        (any order)."""
        client = self.connect()
        cap = self.max_in_flight or _default_cap(client)
        _Run(self, client, location, tuple(algorithms), emit, progress, tolerant, cap).go()

    def _connect_timeout(self) -> float:
        if self.timeout is not None:
            return self.timeout
        import dask
        from dask.utils import parse_timedelta

        return parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), "s")


class _Run:
    """One ``run``: the listing frontier, batches waiting, tasks in flight."""

    def __init__(
        self,
        executor: DaskExecutor,
        client: Client,
        location: Location,
        algorithms: tuple[str, ...],
        emit: Callable[[list[FileDigest]], None],
        progress: ProgressSink | None,
        tolerant: bool,
        cap: int,
    ) -> None:
        from distributed import as_completed

        self.executor, self.client, self.location = executor, client, location
        self.algorithms, self.emit, self.progress = algorithms, emit, progress
        self.tolerant = tolerant
        self.cap, self.list_cap = cap, max(1, cap // 2)
        import uuid  # here: uuid imports platform, and most runs use no cluster

        self.tag = uuid.uuid4().hex[:16]
        self.sequence = itertools.count()
        self.dirs: deque[str] = deque()
        self.ready: list[tuple[int, int, list[Listed]]] = []  # heap: largest batch first
        self.open: list[Listed] = []
        self.open_bytes = 0
        self.pending: dict[Future, bool] = {}  # future -> is a listing task
        self.listing = 0
        self.done = as_completed(loop=client.loop)
        self.grows = progress is not None and hasattr(progress, "grow")
        self.found_bytes = self.found_files = self.unreported = 0

    def go(self) -> None:
        root = self.location.stat_root()
        if not root.exists:
            shown = self.location.display
            raise InputError(f"{shown}: no such file or directory", path=shown)
        if root.is_directory:
            self.found(*self.location.list_dir(""))
        else:
            self.found([], list(self.location.find()))
        try:
            self.fill()
            for future in self.done:
                is_listing = self.pending.pop(future)
                value = self.result(future)
                future.release()
                if is_listing:
                    self.listing -= 1
                    self.found(*value)
                else:
                    self.hashed(value)
                self.fill()
        except BaseException:
            self.client.cancel(list(self.pending))
            raise
        finally:
            self.pending.clear()

    def fill(self) -> None:
        """Submit work until the cap: listing while few batches wait, else hashing."""
        while len(self.pending) < self.cap:
            if self.dirs and self.listing < self.list_cap and len(self.ready) < self.cap:
                # many small directories: a few per task, spread over the listing slots
                share = max(1, min(LIST_DIRS, -(-len(self.dirs) // self.list_cap)))
                rels = tuple(self.dirs.popleft() for _ in range(min(share, len(self.dirs))))
                self.submit(list_task, (rels, LIST_OBJECTS, LIST_DIRS), None)
                self.listing += 1
            elif self.ready:
                nbytes, _, batch = heapq.heappop(self.ready)
                self.submit(hash_task, (batch, self.algorithms, self.tolerant), -nbytes)
            elif self.open and not self.dirs and not self.listing:
                self.close_batch()
            else:
                break
        if not self.grows and not self.dirs and not self.listing and self.progress is not None:
            self.grows = True  # listing is over: an older sink learns the totals now
            self.progress.start(self.found_bytes, self.found_files)
            self.progress.advance(self.unreported)

    def submit(self, function: Callable[..., Any], args: tuple, priority: int | None) -> None:
        kind = "list" if priority is None else "hash"
        future = self.client.submit(
            function,
            self.location,
            *args,
            key=f"mbom-{kind}-{self.tag}-{next(self.sequence)}",
            priority=_LIST_PRIORITY if priority is None else priority,
            retries=RETRIES,
        )
        self.pending[future] = priority is None
        self.done.add(future)

    def found(self, dirs: list[str], objects: list[Listed]) -> None:
        self.dirs.extend(dirs)
        nbytes = 0
        for listed in objects:
            nbytes += listed.size
            if listed.size >= self.executor.task_bytes:
                heapq.heappush(self.ready, (-listed.size, next(self.sequence), [listed]))
                continue
            self.open.append(listed)
            self.open_bytes += listed.size
            if self.open_bytes >= self.executor.task_bytes or (
                len(self.open) >= self.executor.task_objects
            ):
                self.close_batch()
        self.found_bytes += nbytes
        self.found_files += len(objects)
        if self.grows and self.progress is not None and objects:
            _progress.grow(self.progress, nbytes, len(objects))

    def close_batch(self) -> None:
        heapq.heappush(self.ready, (-self.open_bytes, next(self.sequence), self.open))
        self.open, self.open_bytes = [], 0

    def hashed(self, records: list[FileDigest]) -> None:
        self.emit(records)
        if self.progress is None:
            return
        nbytes = sum(max(record.size, 0) for record in records)
        if self.grows:
            self.progress.advance(nbytes)
        else:
            self.unreported += nbytes
        _progress.advance_files(self.progress, len(records))

    def result(self, future: Future) -> Any:
        """The task's value; an mbom error re-raised, a cluster failure as one line."""
        try:
            value = future.result()
        except MbomError:
            raise
        except Exception as exc:
            raise InputError(
                f"Dask cluster {self.executor.display}: {self.location.display}: "
                f"{type(exc).__name__}: {_one_line(exc)}"
            ) from None
        if isinstance(value, Failure):
            raise value.error
        return value


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise InputError(MISSING) from None
    return distributed


def _probe(address: str, timeout: float) -> None:
    """Connect once and hang up: a Client that fails to connect leaves a half-made object whose
    finaliser blocks and prints a traceback at exit, so reachability is checked first."""
    import asyncio

    from distributed.comm import connect
    from distributed.security import Security

    async def knock() -> None:
        comm = await connect(address, timeout=timeout, **Security().get_connection_args("client"))
        await comm.close()

    asyncio.run(knock())


def _default_cap(client: Client) -> int:
    """Enough tasks in flight to keep every worker thread busy while results travel."""
    try:
        workers = client.scheduler_info().get("workers", {})
        threads = sum(int(info.get("nthreads", 1)) for info in workers.values())
    except Exception:
        threads = 0
    return min(256, max(8, 4 * threads))


def _default_workers() -> int:
    from mbom.hashing._engine import default_jobs

    return default_jobs()


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
