#!/usr/bin/env python3
"""Verify benchmark: `mbom verify` against `mbom hash --no-cache` on the same 2 GiB model.

Usage::

    python benchmarks/verify_bench.py [--data DIR] [--size-gib 2] [--runs 5]

Reuses hash_bench.py's data (8 shards + config.json), generates and key-signs a BOM for it
(outside the model directory), then prints the median of warm runs of: `mbom hash --no-cache`,
`mbom verify` (default: CycloneDX schema validation included) and `mbom verify --no-schema`,
and the ratios. The project's target: verify <= 1.15 x hash. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hash_bench import make_data, median_of, signed_bundle, tool


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "mbom-bench")
    parser.add_argument("--size-gib", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    big, _ = make_data(args.data, args.size_gib, 10)
    mbom = tool("mbom")
    if mbom is None:
        print("mbom is not installed in this environment", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="mbom-verify-bench-"))
    os.environ["MBOM_CACHE_DIR"] = str(work / "cache")
    verify = signed_bundle(mbom, big, work)
    rows = {
        "mbom hash --no-cache": median_of([mbom, "hash", str(big), "--no-cache"], args.runs),
        "mbom verify": median_of(verify, args.runs),
        "mbom verify --no-schema": median_of([*verify, "--no-schema"], args.runs),
    }
    size = sum(p.stat().st_size for p in big.iterdir()) / 2**30
    print(
        f"\n{size:.2f} GiB, {len(list(big.iterdir()))} files, {os.cpu_count()} cores, "
        f"median of {args.runs} warm runs"
    )
    base = rows["mbom hash --no-cache"].seconds
    for label, timing in rows.items():
        print(
            f"  {label:<26} {timing.seconds:7.3f} s  {timing.seconds / base:5.2f} x hash  "
            f"{timing.peak_rss_mb:7.1f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
