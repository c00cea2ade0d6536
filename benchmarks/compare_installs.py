#!/usr/bin/env python3
"""Two mbom installs against each other, in one run, commands alternated.

Usage::

    python benchmarks/compare_installs.py BEFORE/bin/mbom AFTER/bin/mbom [--runs 7]

A change's effect is measured here rather than across two ``hash_bench.py`` runs: a shared
machine's speed drifts by more than most changes are worth (docs/benchmarks.md, issue 15).
Each round runs every command with the one install, then the other, then the peers (b3sum,
``find | xargs -P2 sha256sum``), on hash_bench.py's data (made once, reused); each install
signs its own bundle and keeps its own hash cache. Prints the median wall time and CPU time
(user + system of the command and its workers) per command and install, and the ratios the
issue-15 targets are stated in, before and after. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hash_bench import make_data, run_once, signed_bundle, tool

RATIOS = (
    ("generate / hash sha256", "generate", "hash sha256"),
    ("verify / hash sha256", "verify", "hash sha256"),
    ("cached / hash sha256", "hash cached", "hash sha256"),
    ("hash blake3 / b3sum", "hash blake3", "b3sum"),
    ("hash small / xargs sha256sum", "hash small", "xargs small"),
)


def commands(mbom: str, big: Path, small: Path, scratch: Path) -> dict[str, list[str]]:
    """What each install runs (its own signed bundle, made here)."""
    scratch.mkdir(parents=True, exist_ok=True)
    verify = signed_bundle(mbom, big, scratch)
    no_cache = [mbom, "hash", str(big), "--no-cache"]
    return {
        "hash sha256": no_cache,
        "hash blake3": [*no_cache, "--algorithm", "blake3"],
        "generate": [mbom, "generate", "--model", str(big), "--no-cache", "-o",
                     str(scratch / "g.cdx.json")],
        "verify": verify,
        "hash small": [mbom, "hash", str(small), "--no-cache"],
        "hash cached": [mbom, "hash", str(big)],
        "version": [mbom, "--version"],
    }  # fmt: skip


def timed(argv: list[str] | str, cache: Path | None = None) -> tuple[float, float]:
    """Wall seconds and CPU seconds (this process's children) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    env = {"MBOM_CACHE_DIR": str(cache)} if cache else None
    run_once(argv, shell=isinstance(argv, str), env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "mbom-bench")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    big, small = make_data(args.data, 2.0, 20_000)
    scratch = Path(tempfile.mkdtemp(prefix="mbom-compare-"))
    installs = {
        name: commands(mbom, big, small, scratch / name)
        for name, mbom in (("before", args.before), ("after", args.after))
    }
    peers: dict[str, list[str] | str] = {
        "xargs small": f"find {small} -type f -print0 | xargs -0 -P2 sha256sum"
    }
    b3sum = tool("b3sum")
    if b3sum:
        peers["b3sum"] = [b3sum, *sorted(str(p) for p in big.iterdir())]
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for _ in range(args.runs + 1):  # the first round warms up and is dropped
        for label in installs["before"]:
            for name, argvs in installs.items():
                samples.setdefault((name, label), []).append(
                    timed(argvs[label], scratch / name / "cache")
                )
        for label, argv in peers.items():
            samples.setdefault(("peer", label), []).append(timed(argv))
    medians = {
        key: (statistics.median(w for w, _ in runs[1:]), statistics.median(c for _, c in runs[1:]))
        for key, runs in samples.items()
    }
    print(f"median of {args.runs} rounds, before = {args.before}, after = {args.after}")
    for (name, label), (wall, cpu) in medians.items():
        print(f"  {name:<7} {label:<14} {wall:7.3f} s wall  {cpu:7.3f} CPU-s")

    def wall(name: str, label: str) -> float | None:
        key = (name, label) if (name, label) in medians else ("peer", label)
        return medians[key][0] if key in medians else None

    print("ratios, before -> after:")
    for title, top, bottom in RATIOS:
        pairs = [(wall(n, top), wall(n, bottom)) for n in ("before", "after")]
        if any(a is None or b is None for a, b in pairs):
            print(f"  {title:<30} n/a (peer not available)")
            continue
        (a, b), (c, d) = pairs
        print(f"  {title:<30} {a / b:6.3f} -> {c / d:6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
