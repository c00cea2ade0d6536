"""Hashing on a real Dask cluster (a scheduler and two worker processes started for the tests).

The records a cluster emits must be the records ``hash_tree`` computes locally, whatever the
split into tasks, whichever worker ran them, and when a worker dies mid-run.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from mbom.errors import InputError
from mbom.hashing import hash_tree, merkle_root
from mbom.hashing._dask import DaskExecutor, executor_for
from tests.helpers import scan_location
from tests.helpers.daskcluster import allow_open, deny_open
from tests.helpers.scan_location import Watched, local_location

ALGORITHMS = ("sha256", "sha512")
TASK_BYTES = 1024 * 1024
BIG = "weights/shard-00001.bin"


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Nested directories, one file larger than a task, and 3,000 small files."""
    root = tmp_path_factory.mktemp("tree")
    for index in range(3000):
        path = root / f"part-{index % 12:02d}" / f"group-{index % 5}" / f"item-{index:05d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"sample {index}\n".encode() * (index % 40))
    (root / "weights").mkdir()
    (root / BIG).write_bytes(os.urandom(3 * TASK_BYTES + 17))
    (root / "README.md").write_text("a tree hashed on a cluster\n")
    return root


@pytest.fixture(scope="module")
def reference(tree: Path):
    return hash_tree(tree, algorithms=ALGORITHMS)


def run(executor, location, progress=None, tolerant=False) -> list[list]:
    """Every batch ``emit`` received, in arrival order."""
    batches: list[list] = []
    executor.run(location, ALGORITHMS, emit=batches.append, progress=progress, tolerant=tolerant)
    return batches


def records(batches: list[list]) -> list[tuple]:
    flat = [entry for batch in batches for entry in batch]
    return sorted((entry.path, entry.size, dict(entry.digests)) for entry in flat)


def expected(reference) -> list[tuple]:
    return sorted((entry.path, entry.size, dict(entry.digests)) for entry in reference.files)


def test_cluster_gives_the_local_files_and_roots(cluster, tree, reference) -> None:
    with DaskExecutor(cluster.address, task_bytes=TASK_BYTES, task_objects=200) as executor:
        batches = run(executor, local_location(tree))
    assert records(batches) == expected(reference)
    flat = [entry for batch in batches for entry in batch]
    for name in ALGORITHMS:
        assert merkle_root(flat, name) == reference.root(name)
    # split by size: the large file is a task of its own, no task holds more than its share
    assert [len(batch) for batch in batches if any(e.path == BIG for e in batch)] == [1]
    assert max(len(batch) for batch in batches) <= 200
    assert all(
        sum(e.size for e in batch) <= TASK_BYTES + 40 * 10 for batch in batches if len(batch) > 1
    )


def test_driver_lists_the_root_level_only_and_reads_nothing(cluster, tree, reference) -> None:
    scan_location.CALLS.clear()
    with DaskExecutor(cluster.address, task_bytes=TASK_BYTES, task_objects=500) as executor:
        batches = run(executor, Watched(local_location(tree)))
    assert records(batches) == expected(reference)
    assert scan_location.CALLS == [("stat_root", None), ("list_dir", "")]


def test_local_cluster_gives_the_same_result(tree, reference) -> None:
    executor = executor_for("local:2")
    assert executor is not None and executor.display == "local:2"
    with executor:
        batches = run(executor, local_location(tree))
    assert records(batches) == expected(reference)


class KillOneWorker:
    """A progress sink that SIGKILLs one worker process when the first batch has arrived."""

    def __init__(self, pid: int) -> None:
        self.pid, self.killed, self.files = pid, False, 0

    def grow(self, nbytes: int, nfiles: int) -> None:
        pass

    def advance(self, nbytes: int) -> None:
        if not self.killed:
            os.kill(self.pid, signal.SIGKILL)
            self.killed = True

    def advance_files(self, nfiles: int) -> None:
        self.files += nfiles


def test_a_killed_worker_changes_nothing(cluster, tree, reference) -> None:
    from distributed import Client

    before = cluster.worker_pids()
    victim = KillOneWorker(sorted(before.values())[0])
    location = Watched(local_location(tree), pause=0.05)  # the run outlives the kill
    with DaskExecutor(cluster.address, task_bytes=TASK_BYTES, task_objects=25) as executor:
        batches = run(executor, location, progress=victim)
    assert victim.killed
    assert records(batches) == expected(reference)  # nothing lost, nothing twice
    assert victim.files == len(reference.files)
    with Client(cluster.address, timeout=60, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=120)  # its nanny restarts it for the next tests
    assert victim.pid not in cluster.worker_pids().values()


def test_a_read_failure_on_a_worker_names_the_file(cluster, tree) -> None:
    from distributed import Client

    denied = tree / "part-03" / "group-2" / "item-00027.txt"
    with Client(cluster.address, timeout=60, set_as_default=False) as client:
        client.run(deny_open, str(denied))
        try:
            executor = DaskExecutor(cluster.address, task_objects=100)
            with executor, pytest.raises(InputError) as caught:
                run(executor, local_location(tree))
        finally:
            client.run(allow_open)
    message = str(caught.value)
    assert "item-00027.txt" in message and "Permission denied" in message
    assert "\n" not in message and caught.value.exit_code == 2


class OlderSink:
    """A ProgressSink from before files were counted: start + advance only."""

    def __init__(self) -> None:
        self.started: list[tuple[int, int]] = []
        self.advanced = 0

    def start(self, total_bytes: int, total_files: int) -> None:
        self.started.append((total_bytes, total_files))

    def advance(self, nbytes: int) -> None:
        self.advanced += nbytes


class CountingSink(OlderSink):
    def __init__(self) -> None:
        super().__init__()
        self.total_bytes = self.total_files = self.files = 0

    def grow(self, nbytes: int, nfiles: int) -> None:
        self.total_bytes += nbytes
        self.total_files += nfiles

    def advance_files(self, nfiles: int) -> None:
        self.files += nfiles


def test_progress_counts_bytes_and_files(cluster, tree, reference) -> None:
    total = sum(entry.size for entry in reference.files)
    counting, older = CountingSink(), OlderSink()
    with DaskExecutor(cluster.address, task_bytes=TASK_BYTES, task_objects=300) as executor:
        run(executor, local_location(tree), progress=counting)
        run(executor, local_location(tree), progress=older)
    assert (counting.total_bytes, counting.total_files) == (total, len(reference.files))
    assert (counting.advanced, counting.files) == (total, len(reference.files))
    assert counting.started == []
    assert older.started == [(total, len(reference.files))] and older.advanced == total


def test_a_bounded_number_of_tasks_in_flight_gives_the_same_result(cluster, tree, reference):
    with DaskExecutor(cluster.address, task_objects=50, max_in_flight=1) as executor:
        batches = run(executor, local_location(tree))
    assert records(batches) == expected(reference)


def test_a_missing_root_is_an_input_error(cluster, tmp_path) -> None:
    executor = DaskExecutor(cluster.address)
    with executor, pytest.raises(InputError, match="no such file or directory"):
        run(executor, local_location(tmp_path / "absent"))
