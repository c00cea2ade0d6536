"""A real Dask cluster for tests: a scheduler and worker processes on 127.0.0.1, via subprocess.

Each worker is ``dask worker --nworkers 1 --nthreads 1`` under its own nanny (the way a
cluster runs in production: a killed worker process is restarted by its nanny and its tasks
are re-run by the scheduler). Workers get the repository root on ``PYTHONPATH`` so test
helpers (``tests.helpers.scan_location``) can be unpickled there.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[2]
#: How long a process may take to start before the fixture gives up (not a timed assertion).
START_LIMIT = 120.0
SCHEDULER = "distributed.cli.dask_scheduler --host 127.0.0.1 --port 0 --no-dashboard"
WORKER = "distributed.cli.dask_worker --nworkers 1 --nthreads 1 --memory-limit 0 --no-dashboard"


class DaskCluster(NamedTuple):
    address: str
    workers: tuple[subprocess.Popen, ...]

    def worker_pids(self) -> dict[str, int]:
        """Worker address -> pid of the worker process itself (the nanny's child)."""
        from distributed import Client

        with Client(self.address, timeout=30, set_as_default=False) as client:
            return client.run(os.getpid)


def _env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))
    return {**os.environ, "PYTHONPATH": path}


def _spawn(args: list[str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", *args],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env=_env(),
            start_new_session=True,  # its own process group: stopped with its nanny's children
        )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with contextlib.suppress(ProcessLookupError):  # a worker left by a nanny that died first
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def dask_cluster(directory: Path, workers: int = 2) -> Iterator[DaskCluster]:
    """Start a scheduler on a free port and ``workers`` worker processes; stop them after."""
    from distributed import Client

    scheduler_file = directory / "scheduler.json"
    processes: list[subprocess.Popen] = []
    try:
        processes.append(
            _spawn(
                [*SCHEDULER.split(), "--scheduler-file", str(scheduler_file)],
                directory / "scheduler.log",
            )
        )
        deadline = time.monotonic() + START_LIMIT
        while not scheduler_file.exists() or not scheduler_file.read_text().strip():
            if processes[0].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((directory / "scheduler.log").read_text())
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        for number in range(workers):
            processes.append(
                _spawn(
                    [*WORKER.split(), address, "--local-directory", str(directory / f"w{number}")],
                    directory / f"worker-{number}.log",
                )
            )
        with Client(address, timeout=START_LIMIT, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=START_LIMIT)
        yield DaskCluster(address, tuple(processes[1:]))
    finally:
        for process in reversed(processes):
            _stop(process)


def deny_open(denied: str) -> None:
    """Run on a worker (``client.run``): opening ``denied`` fails, even for root."""
    real_open = getattr(os, "_mbom_real_open", os.open)
    os._mbom_real_open = real_open  # type: ignore[attr-defined]

    def guarded_open(path, flags, *args, **kwargs):
        if os.fspath(path) == denied:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    os.open = guarded_open


def allow_open() -> None:
    """Undo :func:`deny_open` on a worker."""
    os.open = getattr(os, "_mbom_real_open", os.open)
