#!/usr/bin/env python3
"""Dask hashing benchmark: 1 worker vs 2 workers vs a local run, on local disk, in one run.

Usage::

    python benchmarks/dask_bench.py [--data DIR] [--small-files 10000] [--big-files 4]
                                    [--big-mib 256] [--runs 3]

Makes (once, reused when present) a directory of small files (4 KiB) and one of large files,
warms the page cache, then times the median of ``--runs`` warm runs of: ``hash_tree`` (the
local engine), and :class:`mbom.hashing._dask.DaskExecutor` on a real cluster (a scheduler +
1 or 2 worker processes, ``--nthreads 1``, started here as the tests start theirs). Every
run's Merkle root is checked against the local one. Ratios are printed; nothing is asserted.
:func:`dask_ratios` is what ``benchmarks/scale_bench.py`` may call.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mbom.hashing import hash_tree, merkle_root  # noqa: E402
from mbom.hashing._dask import DaskExecutor  # noqa: E402
from tests.helpers.daskcluster import dask_cluster  # noqa: E402
from tests.helpers.scan_location import local_location  # noqa: E402


def make_data(data: Path, small_files: int, big_files: int, big_mib: int) -> tuple[Path, Path]:
    small, big = data / f"small-{small_files}", data / f"big-{big_files}x{big_mib}"
    if not small.exists():
        tmp = small.with_suffix(".tmp")
        for index in range(small_files):
            path = tmp / f"d{index % 100:02d}" / f"f{index:07d}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(os.urandom(4096))
        tmp.rename(small)
    if not big.exists():
        tmp = big.with_suffix(".tmp")
        tmp.mkdir(parents=True)
        block = os.urandom(1024 * 1024)
        for index in range(big_files):
            with open(tmp / f"shard-{index:05d}.bin", "wb") as handle:
                for _ in range(big_mib):
                    handle.write(block)
        tmp.rename(big)
    return small, big


def median_time(action, runs: int) -> float:
    action()  # warm: page cache, imports, worker start-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def dask_ratios(tree: Path, workdir: Path, runs: int = 3) -> dict[str, float]:
    """Seconds for local, 1-worker and 2-worker runs over ``tree`` (roots checked equal)."""
    expected = hash_tree(tree, cache=False).root()
    seconds = {"local": median_time(lambda: hash_tree(tree, cache=False), runs)}
    for workers in (1, 2):
        directory = workdir / f"cluster-{tree.name}-{workers}"
        directory.mkdir(parents=True, exist_ok=True)
        seconds[f"{workers} worker(s)"] = cluster_seconds(tree, directory, workers, runs, expected)
    return seconds


def cluster_seconds(tree: Path, directory: Path, workers: int, runs: int, expected: str) -> float:
    """Median seconds of a run on a fresh cluster of ``workers`` worker processes."""
    found: list = []
    with dask_cluster(directory, workers=workers) as cluster, DaskExecutor(cluster.address) as ex:
        location = local_location(tree)

        def hashed() -> None:
            found.clear()
            ex.run(location, ("sha256",), emit=found.extend, progress=None, tolerant=False)

        seconds = median_time(hashed, runs)
    if merkle_root(found) != expected:
        raise SystemExit(f"{tree}: the cluster's root differs from the local one")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--small-files", type=int, default=10_000)
    parser.add_argument("--big-files", type=int, default=4)
    parser.add_argument("--big-mib", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data = args.data or Path(tempfile.gettempdir()) / "mbom-dask-bench"
    small, big = make_data(data, args.small_files, args.big_files, args.big_mib)
    print(f"location: {type(local_location(small)).__name__}, cores: {os.cpu_count()}")
    for label, tree in (
        (f"{args.small_files} x 4 KiB", small),
        (f"{args.big_files} x {args.big_mib} MiB", big),
    ):
        seconds = dask_ratios(tree, data, args.runs)
        nbytes = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())
        for name, value in seconds.items():
            print(
                f"{label:>16}  {name:<12} {value:7.2f} s  {nbytes / value / 2**20:8.1f} MiB/s"
                f"  {value / seconds['local']:5.2f} x local"
            )


if __name__ == "__main__":
    main()
