#!/usr/bin/env python3
"""The compute limit: how fast a digest alone goes over bytes already in memory.

Usage::

    python benchmarks/compute_limit.py DIR [--runs 3]     # prints seconds per algorithm

Each file of DIR is read into memory (one at a time: memory stays one file), then hashed
there, untimed reads excluded: hashlib's SHA-256 (OpenSSL) and single-threaded BLAKE3 in
256 KiB updates, as a tool that uses every core would run them. The sum over the files,
divided by the cores, is the compute limit the issue names ("sha256", "blake3");
hash_bench.py prints each figure beside it. Hashing from DRAM is not the floor, though: a
256 KiB buffer that stays in L2 hashes faster (what a ``read`` loop does, plus the copy), so
the same byte count hashed from one cached buffer is reported too ("sha256-l2",
"blake3-l2"): pure compute, which nothing can beat. And neither is the floor for hashing
files: the page cache holds them in 4 KiB pages scattered over DRAM, where a buffer read into
memory sits in huge pages; so each file is also hashed where the page cache holds it, mapped
in 16 MiB windows as mbom's workers do ("sha256-mapped", "blake3-mapped"): the page-cache
limit, what an in-process hash of the files with no start-up, no walk and no copy costs.
"""

from __future__ import annotations

import argparse
import hashlib
import mmap
import os
import statistics
import sys
import time
from pathlib import Path

from blake3 import blake3

CHUNK = 256 * 1024
WINDOW = 16 * 1024 * 1024
MAKERS = {"sha256": hashlib.sha256, "blake3": lambda: blake3(max_threads=1)}


def hash_seconds(data: memoryview, name: str) -> float:
    """Seconds to digest ``data`` (in memory) with one core, in CHUNK updates."""
    hasher = MAKERS[name]()
    update = hasher.update
    start = time.perf_counter()
    for offset in range(0, len(data), CHUNK):
        update(data[offset : offset + CHUNK])
    hasher.digest()
    return time.perf_counter() - start


def l2_seconds(size: int, name: str) -> float:
    """Seconds to digest ``size`` bytes from one CHUNK buffer that stays in cache."""
    hasher = MAKERS[name]()
    update, chunk = hasher.update, memoryview(os.urandom(CHUNK))
    start = time.perf_counter()
    for offset in range(0, size, CHUNK):
        update(chunk[: min(CHUNK, size - offset)])
    hasher.digest()
    return time.perf_counter() - start


def mapped_seconds(path: Path, name: str) -> float:
    """Seconds to digest ``path`` with one core where the page cache holds it (mapped)."""
    hasher = MAKERS[name]()
    size = path.stat().st_size
    fd = os.open(path, os.O_RDONLY)
    try:
        start = time.perf_counter()
        for offset in range(0, size, WINDOW):
            length = min(WINDOW, size - offset)
            flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
            with mmap.mmap(fd, length, flags=flags, prot=mmap.PROT_READ, offset=offset) as window:
                if hasattr(window, "madvise"):
                    window.madvise(mmap.MADV_SEQUENTIAL)
                with memoryview(window) as view:
                    hasher.update(view)
        hasher.digest()
        return time.perf_counter() - start
    finally:
        os.close(fd)


def compute_limits(folder: Path, cores: int, runs: int = 3) -> dict[str, float]:
    """Algorithm -> least wall seconds for ``cores`` cores to digest every file in folder
    (median over ``runs`` of the per-file sums); ``NAME-l2``: from a cached buffer;
    ``NAME-mapped``: from the page cache."""
    keys = [*MAKERS, *(f"{name}-{where}" for where in ("l2", "mapped") for name in MAKERS)]
    totals: dict[str, list[float]] = {key: [0.0] * runs for key in keys}
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        data = memoryview(path.read_bytes())
        for run in range(runs):
            for name in MAKERS:
                totals[name][run] += hash_seconds(data, name)
                totals[f"{name}-l2"][run] += l2_seconds(len(data), name)
                totals[f"{name}-mapped"][run] += mapped_seconds(path, name)
        del data
    return {name: statistics.median(values) / cores for name, values in totals.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    for name, seconds in compute_limits(args.folder, cores or 1, args.runs).items():
        print(f"{name}: {seconds:.3f} s on {cores} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
