#!/usr/bin/env python3
"""S3 hashing throughput: mbom's remote location against a local S3 server, vs local reads.

Usage::

    python benchmarks/s3_bench.py [--large 4] [--large-mib 256] [--small 10000]
                                  [--small-bytes 4096] [--concurrency 16]

Starts moto's S3 server in its own process on 127.0.0.1 (tests/helpers/s3server.py), uploads
``--large`` objects of ``--large-mib`` MiB and ``--small`` objects of ``--small-bytes`` bytes,
writes the same bytes to a temporary directory, then hashes them (SHA-256): from S3 in this
process, from S3 on a local Dask cluster of 1 and of 2 worker processes, and from the local
copy; prints times, throughput, the ratios and whether all four Merkle roots agree. moto is a Python
server that closes every connection: the numbers bound mbom's client overhead from below,
they do not predict AWS throughput. Nothing here is a test; nothing is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MIB = 1024 * 1024


def _payload(index: int, size: int) -> bytes:
    block = hashlib.sha256(str(index).encode()).digest() * (MIB // 32)
    return (block * (size // len(block) + 1))[:size]


def _upload(server, bucket: str, prefix: str, files: dict[str, bytes], root: Path) -> None:
    def one(item: tuple[str, bytes]) -> None:
        name, data = item
        if len(data) > 64 * MIB:
            import io

            server.client.upload_fileobj(io.BytesIO(data), bucket, f"{prefix}/{name}")
        else:
            server.put(bucket, f"{prefix}/{name}", data)
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, files.items()))


def _hash_remote(url: str, workers: int | None = None) -> tuple[float, str, int]:
    """hash_tree over the URL: in this process (``workers`` None) or on a local Dask cluster
    of ``workers`` processes (started before the clock, so only hashing is timed)."""
    from mbom.hashing import hash_tree
    from mbom.hashing._dask import DaskExecutor
    from mbom.hashing._remote import RemoteLocation

    RemoteLocation.from_url(url).stat_root()  # warm: imports and the first connection
    executor = DaskExecutor(local_workers=workers) if workers else None
    try:
        if executor is not None:
            executor.connect()
        start = time.perf_counter()
        tree = hash_tree(url, executor=executor)
        elapsed = time.perf_counter() - start
    finally:
        if executor is not None:
            executor.close()
    return elapsed, tree.root() or "", tree.total_size


def _hash_local(root: Path) -> tuple[float, str]:
    from mbom.hashing import hash_tree

    start = time.perf_counter()
    tree = hash_tree(root, cache=False)
    return time.perf_counter() - start, tree.root() or ""


def bench_s3(
    *, large: int = 4, large_mib: int = 256, small: int = 10_000, small_bytes: int = 4096
) -> list[dict[str, object]]:
    """Run both cases; one row per case (objects, bytes, seconds, MB/s, ratio, same root)."""
    from tests.helpers.s3server import CREDENTIALS, moto_process

    rows = []
    with moto_process() as server, tempfile.TemporaryDirectory() as tmp:
        os.environ.update(CREDENTIALS)
        os.environ["AWS_ENDPOINT_URL"] = server.endpoint
        bucket = server.bucket("bench")
        cases = {
            "large": {f"shard-{i}.bin": _payload(i, large_mib * MIB) for i in range(large)},
            "small": {f"{i % 100:02d}/{i:06d}.bin": _payload(i, small_bytes) for i in range(small)},
        }
        for case, files in cases.items():
            if not files:
                continue
            local = Path(tmp, case)
            _upload(server, bucket, case, files, local)
            files.clear()
            url = f"s3://{bucket}/{case}/"
            remote_s, remote_root, total = _hash_remote(url)
            dask1_s, dask1_root, _ = _hash_remote(url, workers=1)
            dask2_s, dask2_root, _ = _hash_remote(url, workers=2)
            local_s, local_root = _hash_local(local)
            rows.append(
                {
                    "case": case,
                    "objects": large if case == "large" else small,
                    "bytes": total,
                    "remote_s": round(remote_s, 2),
                    "remote_MBps": round(total / MIB / remote_s, 1),
                    "remote_obj_per_s": round((large if case == "large" else small) / remote_s),
                    "dask_1_worker_s": round(dask1_s, 2),
                    "dask_2_workers_s": round(dask2_s, 2),
                    "local_s": round(local_s, 3),
                    "local_MBps": round(total / MIB / local_s, 1),
                    "remote_over_local": round(remote_s / local_s, 1),
                    "two_over_one_worker": round(dask2_s / dask1_s, 2),
                    "same_root": len({remote_root, dask1_root, dask2_root, local_root}) == 1,
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--large", type=int, default=4)
    parser.add_argument("--large-mib", type=int, default=256)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--small-bytes", type=int, default=4096)
    parser.add_argument("--concurrency", type=int, default=None)
    args = parser.parse_args()
    if args.concurrency:
        os.environ["MBOM_REMOTE_CONCURRENCY"] = str(args.concurrency)
    rows = bench_s3(
        large=args.large, large_mib=args.large_mib, small=args.small, small_bytes=args.small_bytes
    )
    for row in rows:
        print("  ".join(f"{key}={value}" for key, value in row.items()))


if __name__ == "__main__":
    main()
