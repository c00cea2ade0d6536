#!/usr/bin/env python3
"""Hashing benchmark: mbom against its peers, in one run, on data it makes itself.

Usage::

    python benchmarks/hash_bench.py [--data DIR] [--size-gib 2] [--small-files 20000] [--runs 5]

Makes (once, reused when present) a "big" model directory of 8 equal shards plus a small
config.json, and a "small" directory of 4 KiB files; warms the page cache; then times, as the
median of several warm runs, each command below and prints a table with throughput and the
ratios the project's targets are stated in (issue: foundation / hashing engine):

* mbom hash (sha256, blake3), with --no-cache: every byte hashed every run;
* mbom hash re-run after changing one small file, with the cache;
* sha256sum, b3sum (Debian package b3sum), find | xargs -P2 sha256sum;
* model_signing sign key (when model_signing is installed beside mbom).

Peak RSS is read with GNU time (Debian package ``time``) when installed. Nothing here is a
test: numbers are
reported, not asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent
SMALL_SIZE = 4096


@dataclass(frozen=True)
class Timing:
    seconds: float
    peak_rss_mb: float


GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None


def run_once(command: list[str] | str, *, shell: bool = False) -> Timing:
    """Wall time and peak RSS of one command (its output discarded).

    The RSS comes from GNU time when present (Debian package ``time``): a child forked from
    this Python process would report this process's memory as part of its own peak.
    """
    argv = ["sh", "-c", command] if shell else list(command)
    if GNU_TIME:
        argv = [GNU_TIME, "-f", "MBOM-BENCH-RSS %M", *argv]
    start = time.perf_counter()
    process = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    err = process.stderr.decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"command failed ({process.returncode}): {command}\n{err}")
    rss = [line.split()[1] for line in err.splitlines() if line.startswith("MBOM-BENCH-RSS")]
    return Timing(elapsed, int(rss[-1]) / 1024 if rss else float("nan"))


def median_of(
    command: list[str] | str, runs: int, *, shell: bool = False, before_each=None
) -> Timing:
    """Median wall time (and max peak RSS) of ``runs`` warm runs, after one warm-up."""
    if before_each:
        before_each()
    run_once(command, shell=shell)
    timings = []
    for _ in range(runs):
        if before_each:
            before_each()
        timings.append(run_once(command, shell=shell))
    return Timing(
        statistics.median(t.seconds for t in timings), max(t.peak_rss_mb for t in timings)
    )


def make_data(root: Path, size_gib: float, small_files: int) -> tuple[Path, Path]:
    big, small = root / "big", root / "small"
    shard_size = int(size_gib * (1 << 30)) // 8
    if not big.is_dir() or any(
        not (big / f"shard-{i}.bin").is_file()
        or (big / f"shard-{i}.bin").stat().st_size != shard_size
        for i in range(8)
    ):
        shutil.rmtree(big, ignore_errors=True)
        big.mkdir(parents=True)
        print(f"making {size_gib} GiB in 8 files under {big} ...", flush=True)
        block = os.urandom(1 << 24)
        for index in range(8):
            with open(big / f"shard-{index}.bin", "wb") as handle:
                written = 0
                while written < shard_size:
                    chunk = block[: min(len(block), shard_size - written)]
                    handle.write(bytes([index]) + chunk[1:])
                    written += len(chunk)
        (big / "config.json").write_text('{"step": 0}')
    if not small.is_dir() or sum(1 for _ in small.rglob("*.bin")) != small_files:
        shutil.rmtree(small, ignore_errors=True)
        print(f"making {small_files} files of 4 KiB under {small} ...", flush=True)
        for index in range(small_files):
            folder = small / f"d{index // 1000:03d}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"f{index:06d}.bin").write_bytes(os.urandom(SMALL_SIZE))
    for path in big.iterdir():  # warm the page cache, as the warm runs will see it
        with open(path, "rb") as handle:
            while handle.read(1 << 24):
                pass
    return big, small


def tool(name: str) -> str | None:
    local = BIN / name
    return str(local) if local.exists() else shutil.which(name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "mbom-bench")
    parser.add_argument("--size-gib", type=float, default=2.0)
    parser.add_argument("--small-files", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    big, small = make_data(args.data, args.size_gib, args.small_files)
    big_bytes = sum(p.stat().st_size for p in big.iterdir())
    mbom = tool("mbom")
    if mbom is None:
        print("mbom is not installed in this environment", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="mbom-bench-out-"))
    env_cache = scratch / "cache"
    os.environ["MBOM_CACHE_DIR"] = str(env_cache)
    rows: dict[str, Timing] = {}
    runs = args.runs

    def measure(label: str, command, **kwargs) -> None:
        rows[label] = median_of(command, runs, **kwargs)
        t = rows[label]
        print(f"  {label:<44} {t.seconds:8.3f} s  {t.peak_rss_mb:7.1f} MB", flush=True)

    print(
        f"\nbig: {big_bytes / 1e9:.2f} GB in {len(list(big.iterdir()))} files; "
        f"small: {args.small_files} x 4 KiB; median of {runs} warm runs; "
        f"{os.cpu_count()} cores\n"
    )
    measure("mbom --version", [mbom, "--version"])
    measure("mbom hash big sha256 --no-cache", [mbom, "hash", str(big), "--no-cache"])
    measure(
        "mbom hash big blake3 --no-cache",
        [mbom, "hash", str(big), "--algorithm", "blake3", "--no-cache"],
    )
    counter = iter(range(10**9))

    def touch_config() -> None:
        (big / "config.json").write_text(f'{{"step": {next(counter)}}}')

    subprocess.run([mbom, "hash", str(big)], check=True, stdout=subprocess.DEVNULL)
    time.sleep(2.1)  # let the shards leave the cache's racy window before the cached runs
    subprocess.run([mbom, "hash", str(big)], check=True, stdout=subprocess.DEVNULL)
    measure(
        "mbom hash big sha256, cached, 1 file changed",
        [mbom, "hash", str(big)],
        before_each=touch_config,
    )
    measure("mbom hash small sha256 --no-cache", [mbom, "hash", str(small), "--no-cache"])
    sha256sum, b3sum = shutil.which("sha256sum"), shutil.which("b3sum")
    if sha256sum:
        measure("sha256sum big", f"{sha256sum} {big}/*", shell=True)
        measure(
            "find big | xargs -0 -P2 sha256sum",
            f"find {big} -type f -print0 | xargs -0 -P2 {sha256sum}",
            shell=True,
        )
        measure(
            "find small | xargs -0 -P2 sha256sum",
            f"find {small} -type f -print0 | xargs -0 -P2 {sha256sum}",
            shell=True,
        )
    if b3sum:
        measure("b3sum big", f"{b3sum} {big}/*", shell=True)
    signer = tool("model_signing")
    if signer:
        key = scratch / "key.pem"
        subprocess.run(
            [
                sys.executable,
                "-c",
                (
                    "from cryptography.hazmat.primitives.asymmetric import ec;"
                    "from cryptography.hazmat.primitives import serialization as s;"
                    "k=ec.generate_private_key(ec.SECP256R1());"
                    f"open({str(key)!r},'wb').write(k.private_bytes(s.Encoding.PEM,"
                    "s.PrivateFormat.PKCS8,s.NoEncryption()))"
                ),
            ],
            check=True,
        )
        for label, data in (("big", big), ("small", small)):
            measure(
                f"model_signing sign key {label}",
                [
                    signer,
                    "sign",
                    "key",
                    str(data),
                    "--private_key",
                    str(key),
                    "--signature",
                    str(scratch / f"{label}.sig"),
                ],
            )
    else:
        print("  (model_signing not installed: pip install model-signing==1.1.1 pyopenssl)")
    shutil.rmtree(scratch, ignore_errors=True)
    report(rows, big_bytes)
    return 0


def report(rows: dict[str, Timing], big_bytes: int) -> None:
    def seconds(label: str) -> float | None:
        return rows[label].seconds if label in rows else None

    print("\nthroughput on big (GB/s):")
    for label, timing in rows.items():
        if " big" in label and "cached" not in label:
            print(f"  {label:<44} {big_bytes / timing.seconds / 1e9:6.2f}")
    sha = seconds("mbom hash big sha256 --no-cache")
    checks = [
        (
            "sha256 big: mbom / model_signing <= 0.67",
            sha,
            seconds("model_signing sign key big"),
            0.67,
        ),
        (
            "blake3 big: mbom / b3sum <= 1.30",
            seconds("mbom hash big blake3 --no-cache"),
            seconds("b3sum big"),
            1.30,
        ),
        (
            "small: mbom / model_signing < 1.00",
            seconds("mbom hash small sha256 --no-cache"),
            seconds("model_signing sign key small"),
            1.0,
        ),
        (
            "small: mbom / find|xargs -P2 sha256sum <= 1.50",
            seconds("mbom hash small sha256 --no-cache"),
            seconds("find small | xargs -0 -P2 sha256sum"),
            1.5,
        ),
        (
            "cached re-run / full sha256 <= 0.10",
            seconds("mbom hash big sha256, cached, 1 file changed"),
            sha,
            0.10,
        ),
    ]
    print("\nratios (target in the label):")
    for label, ours, theirs, limit in checks:
        if ours is None or theirs is None:
            print(f"  {label:<50} n/a (peer not available)")
            continue
        ratio = ours / theirs
        print(f"  {label:<50} {ratio:6.3f}  {'ok' if ratio <= limit else 'MISSED'}")
    rss = rows["mbom hash big sha256 --no-cache"].peak_rss_mb
    rss_b3 = rows["mbom hash big blake3 --no-cache"].peak_rss_mb
    version = rows["mbom --version"].seconds
    print(
        f"  {'peak RSS hashing big (sha256 / blake3) < 150 MB':<50} {rss:.0f} / {rss_b3:.0f} MB"
        f"  {'ok' if max(rss, rss_b3) < 150 else 'MISSED'}"
    )
    print(
        f"  {'mbom --version < 0.15 s':<50} {version:.3f} s  {'ok' if version < 0.15 else 'MISSED'}"
    )


if __name__ == "__main__":
    sys.exit(main())
