#!/usr/bin/env python3
"""Scale benchmark (issue 11): memory and time at a million files and more, in one run.

Usage::

    python benchmarks/scale_bench.py local [--files 1000000] [--data DIR] [--keep] [--runs 3]
    python benchmarks/scale_bench.py simulate [--counts 1000000,3000000,10000000]

``local`` makes DIR (default: a new folder under the temp dir) with ``--files`` files of
10 bytes, 1000 per folder, warms the page cache with the peer's own run, then times, ``--runs``
times each (every run printed, then the median): ``find DIR -type f -print0 | xargs -0 -P2
sha256sum``; ``mbom hash`` with ``--no-cache``, with an empty hash cache (every digest
stored) and with the cache filled; ``mbom generate --model M --dataset big=DIR`` with
``--no-cache --no-environment``, with ``--no-environment`` (cache filled) and as is (the
environment recorded too). It prints seconds, peak RSS and the ratio to the peer's median,
and the load average before and after (the machine may be shared). The data is deleted
afterwards unless ``--keep`` or ``--data`` was given.

``simulate`` pushes N synthetic objects (10-byte contents, really hashed, listed out of
order) through the same streaming path as any Location (:func:`hash_location`: batches,
external merge sort, streamed Merkle root, manifest written from the spilled files), each
count in a fresh child process, and prints the time per million and the peak RSS.

Peak RSS comes from GNU time (Debian package ``time``) for commands, and from the child's
own ``getrusage`` in ``simulate``. Nothing here is a test: numbers are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None
PER_FOLDER = 1000


def make_files(root: Path, count: int) -> None:
    """``count`` files of 10 bytes under ``root``, 1000 per folder (kept when complete)."""
    marker = root / ".complete"
    if marker.exists() and marker.read_text() == str(count):
        return
    print(f"making {count} files under {root} ...", flush=True)
    for folder in range(-(-count // PER_FOLDER)):
        sub = root / f"d{folder:05d}"
        sub.mkdir(parents=True, exist_ok=True)
        for index in range(min(PER_FOLDER, count - folder * PER_FOLDER)):
            with open(sub / f"f{index:04d}.txt", "wb") as handle:
                handle.write(b"%09d\n" % (folder * PER_FOLDER + index))
    marker.write_text(str(count))


def timed(command: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB, GNU time) of a shell command; its output discarded."""
    argv = ["sh", "-c", command]
    if GNU_TIME:
        argv = [GNU_TIME, "-f", "SCALE-RSS %M", *argv]
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    err = done.stderr.decode(errors="replace")
    if done.returncode != 0:
        raise RuntimeError(f"{command} failed ({done.returncode}):\n{err[-2000:]}")
    rss = [line.split()[1] for line in err.splitlines() if line.startswith("SCALE-RSS")]
    return elapsed, int(rss[-1]) / 1024 if rss else float("nan")


def local(args: argparse.Namespace) -> None:
    made = args.data is None
    root = Path(args.data or tempfile.mkdtemp(prefix="mbom-scale-"))
    data, model, out = root / "big", root / "model", root / "out"
    try:
        make_files(data, args.files)
        model.mkdir(exist_ok=True)
        (model / "config.json").write_text('{"model_type": "bert"}')
        out.mkdir(exist_ok=True)
        mbom = str(BIN / "mbom") if (BIN / "mbom").exists() else "mbom"
        cache = root / "cache"
        os.environ["MBOM_CACHE_DIR"] = str(cache)
        peer = f"find {data} -type f -print0 | xargs -0 -P2 sha256sum >/dev/null"
        timed(peer)  # warm the page cache
        generate = f"{mbom} generate --model {model} --dataset big={data} -o {out}/bom.cdx.json"
        commands = [
            ("find | xargs -P2 sha256sum", peer, False),
            ("mbom hash --no-cache", f"{mbom} hash --no-cache {data}", False),
            ("mbom hash (empty cache)", f"{mbom} hash {data}", True),
            ("mbom hash (cache filled)", f"{mbom} hash {data}", False),
            ("mbom generate --no-cache --no-env", f"{generate} --no-cache --no-environment", False),
            ("mbom generate --no-environment", f"{generate} --no-environment", False),
            ("mbom generate", generate, False),
        ]
        print(f"load average before: {_load()}", flush=True)
        rows = []
        for name, command, empty_cache in commands:
            runs = []
            for _ in range(args.runs):
                if empty_cache:
                    shutil.rmtree(cache, ignore_errors=True)
                runs.append(timed(command))
            rows.append((name, runs))
        base = _median([seconds for seconds, _rss in rows[0][1]])
        print(f"\n{args.files} files of 10 bytes ({os.cpu_count()} cores), {args.runs} runs each")
        print(f"{'command':36} {'median s':>8} {'x peer':>7} {'peak RSS MB':>12}  runs (s / MB)")
        for name, runs in rows:
            seconds = _median([s for s, _ in runs])
            rss = max(r for _, r in runs)
            each = ", ".join(f"{s:.2f}/{r:.0f}" for s, r in runs)
            print(f"{name:36} {seconds:8.2f} {seconds / base:7.2f} {rss:12.0f}  {each}")
        print(f"load average after: {_load()}")
    finally:
        if made and not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _load() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


class SyntheticLocation:
    """``count`` objects of 10 bytes, listed folder by folder in reverse (out of order)."""

    scheme = "file"
    is_local = True

    def __init__(self, count: int) -> None:
        self.count, self.display = count, f"synthetic:{count}"

    def stat_root(self):
        from mbom.hashing._location import RootInfo

        return RootInfo(True, True)

    def find(self):
        from mbom.hashing._location import Listed

        folders = -(-self.count // PER_FOLDER)
        for folder in reversed(range(folders)):
            for index in range(min(PER_FOLDER, self.count - folder * PER_FOLDER)):
                yield Listed(f"d{folder:05d}/f{index:04d}.txt", 10)

    def hash_objects(self, objects, algorithms, *, progress=None, tolerant=False):
        import hashlib

        from mbom.hashing import FileDigest

        out = []
        for listed in objects:
            name = listed.rel
            data = b"%09d\n" % (int(name[1:6]) * PER_FOLDER + int(name[8:12]))
            out.append(FileDigest(name, len(data), {"sha256": hashlib.sha256(data).hexdigest()}))
        return out


def simulate_one(count: int) -> dict:
    """One count, in this (fresh) process: hash, root, write the manifest."""
    from mbom.bom.dataset_components import write_manifest
    from mbom.hashing._stream import hash_location

    start = time.perf_counter()
    tree = hash_location(SyntheticLocation(count), ("sha256",))
    hashed = time.perf_counter() - start
    manifest = write_manifest(tree)
    total = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "count": count,
        "files": len(tree.files),
        "root": tree.root(),
        "hash_s": hashed,
        "total_s": total,
        "manifest_mb": manifest.size / 1e6,
        "peak_rss_mb": peak,
    }


def simulate(args: argparse.Namespace) -> None:
    print(f"{'objects':>10} {'s/million':>10} {'(hash+root)':>12} {'peak RSS MB':>12}")
    for count in (int(c) for c in args.counts.split(",")):
        done = subprocess.run(
            [sys.executable, __file__, "_one", str(count)],
            capture_output=True,
            text=True,
            check=True,
        )
        row = json.loads(done.stdout.strip().splitlines()[-1])
        millions = count / 1e6
        print(
            f"{count:>10} {row['total_s'] / millions:10.2f} {row['hash_s'] / millions:12.2f} "
            f"{row['peak_rss_mb']:12.0f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("local")
    one.add_argument("--files", type=int, default=1_000_000)
    one.add_argument("--data", default=None)
    one.add_argument("--keep", action="store_true")
    one.add_argument("--runs", type=int, default=1)
    sim = commands.add_parser("simulate")
    sim.add_argument("--counts", default="1000000,3000000,10000000")
    child = commands.add_parser("_one")
    child.add_argument("count", type=int)
    args = parser.parse_args()
    if args.command == "local":
        local(args)
    elif args.command == "simulate":
        simulate(args)
    else:
        print(json.dumps(simulate_one(args.count)))


if __name__ == "__main__":
    main()
