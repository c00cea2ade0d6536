#!/usr/bin/env python3
"""Hashing benchmark: mbom against its peers, in one run, on data it makes itself.

Usage::

    python benchmarks/hash_bench.py [--data DIR] [--size-gib 2] [--small-files 20000] [--runs 5]

Makes (once, reused when present) a "big" model directory of 8 equal shards plus a small
config.json, and a "small" directory of 4 KiB files; warms the page cache; then runs every
command below once per round, rounds interleaved (so a slower minute of a shared machine
hits every command alike), and prints the median of the rounds with throughput, the
compute limit beside each big figure (benchmarks/compute_limit.py: the digest alone over
the same bytes in memory, divided by the cores; for reference also from an L2-resident
buffer and from the mapped page cache), and the ratios the targets are stated in
(issues: foundation / hashing engine, and 15: performance at the physical limit):

* mbom hash (sha256, blake3), with --no-cache: every byte hashed every run; also with each
  way of getting the bytes fixed (``MBOM_HASH_MMAP=1``: workers that map, ``0``: that read),
  to show what the default (each worker measures both and keeps the cheaper) chose;
* mbom hash re-run after changing one small file, with the cache;
* mbom generate --no-cache and mbom verify (key-signed bundle) of big;
* sha256sum, b3sum (Debian package b3sum), find | xargs -P2 sha256sum;
* model_signing sign key (when model_signing is installed beside mbom);
* toolkit-ml-provenance's ``toolkit-mlsbom generate --format cyclonedx`` (found beside
  mbom, on PATH, or at ``$MBOM_BENCH_TOOLKIT``: ``pip install toolkit-ml-provenance`` in any
  virtual environment).

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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
SMALL_SIZE = 4096


@dataclass(frozen=True)
class Timing:
    seconds: float
    peak_rss_mb: float


GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None


def run_once(
    command: list[str] | str, *, shell: bool = False, env: dict[str, str] | None = None
) -> Timing:
    """Wall time and peak RSS of one command (its output discarded).

    The RSS comes from GNU time when present (Debian package ``time``): a child forked from
    this Python process would report this process's memory as part of its own peak.
    """
    argv = ["sh", "-c", command] if shell else list(command)
    if GNU_TIME:
        argv = [GNU_TIME, "-f", "MBOM-BENCH-RSS %M", *argv]
    start = time.perf_counter()
    process = subprocess.run(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
        env={**os.environ, **env} if env else None,
        cwd=tempfile.gettempdir(),  # generate records the git state of its directory
    )
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


@dataclass
class Command:
    """One row: what to run, and what to do before each run."""

    label: str
    argv: list[str] | str
    shell: bool = False
    env: dict[str, str] | None = None
    before_each: object = None
    after_each: object = None
    timings: list[Timing] = field(default_factory=list)

    def run(self) -> None:
        if callable(self.before_each):
            self.before_each()
        self.timings.append(run_once(self.argv, shell=self.shell, env=self.env))
        if callable(self.after_each):
            self.after_each()

    @property
    def median(self) -> Timing:
        return Timing(
            statistics.median(t.seconds for t in self.timings),
            max(t.peak_rss_mb for t in self.timings),
        )


def interleaved(
    commands: list[Command], runs: int, limit: Callable[[], dict[str, float]]
) -> tuple[dict[str, Timing], dict[str, float]]:
    """Each command once per round (after one warm-up round), and the compute limit measured
    in each round too; the median per command and per algorithm."""
    for command in commands:
        command.run()
        command.timings.clear()
    limits: list[dict[str, float]] = []
    for _ in range(runs):
        limits.append(limit())
        for command in commands:
            command.run()
    medians = {name: statistics.median(each[name] for each in limits) for name in limits[0]}
    return {command.label: command.median for command in commands}, medians


def signed_bundle(mbom: str, big: Path, scratch: Path) -> list[str]:
    """Generate and key-sign a BOM of big (outside it); the verify command line."""
    env = {**os.environ, "MBOM_KEY_PASSPHRASE": ""}
    for command in (
        [mbom, "keygen", str(scratch / "k"), "--type", "ecdsa-p256"],
        [mbom, "generate", "--model", str(big), "-o", str(scratch / "signed.cdx.json")],
        [mbom, "sign", str(scratch / "signed.cdx.json"), "--key", str(scratch / "k.pem")],
    ):
        subprocess.run(command, check=True, env=env, capture_output=True)
    bundle = scratch / "signed.cdx.json.sigstore.json"
    return [mbom, "verify", str(big), "--bundle", str(bundle), "--key", str(scratch / "k.pub")]


def peer_commands(big: Path, small: Path, scratch: Path) -> list[Command]:
    commands = []
    sha256sum, b3sum = shutil.which("sha256sum"), shutil.which("b3sum")
    if sha256sum:
        commands += [
            Command("sha256sum big", f"{sha256sum} {big}/*", shell=True),
            Command(
                "find small | xargs -0 -P2 sha256sum",
                f"find {small} -type f -print0 | xargs -0 -P2 {sha256sum}",
                shell=True,
            ),
        ]
    if b3sum:
        commands.append(Command("b3sum big", f"{b3sum} {big}/*", shell=True))
    signer = tool("model_signing")
    if signer:
        key = scratch / "key.pem"
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        private = ec.generate_private_key(ec.SECP256R1())
        key.write_bytes(
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        for label, data in (("big", big), ("small", small)):
            sig = str(scratch / f"{label}.sig")
            argv = [signer, "sign", "key", str(data), "--private_key", str(key), "--signature", sig]
            commands.append(Command(f"model_signing sign key {label}", argv))
    else:
        print("  (model_signing not installed: pip install model-signing==1.1.1 pyopenssl)")
    toolkit = os.environ.get("MBOM_BENCH_TOOLKIT") or tool("toolkit-mlsbom")
    if toolkit:
        out = str(scratch / "toolkit.cdx.json")
        argv = [toolkit, "generate", "--root", str(big), "--include", "**/*"]
        argv += ["--format", "cyclonedx", "--out", out]
        commands.append(Command("toolkit-ml-provenance generate big", argv))
    else:
        print("  (toolkit-ml-provenance not found: set MBOM_BENCH_TOOLKIT=.../toolkit-mlsbom)")
    return commands


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


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
    os.environ["MBOM_CACHE_DIR"] = str(scratch / "cache")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"load average at start: {load_average()}")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from compute_limit import compute_limits

    counter = iter(range(10**9))

    def touch_config() -> None:
        (big / "config.json").write_text(f'{{"step": {next(counter)}}}')

    def restore_config() -> None:  # the signed BOM that verify checks has this content
        (big / "config.json").write_text('{"step": 0}')

    restore_config()
    subprocess.run([mbom, "hash", str(big)], check=True, stdout=subprocess.DEVNULL)
    time.sleep(2.1)  # let the shards leave the cache's racy window before the cached runs
    subprocess.run([mbom, "hash", str(big)], check=True, stdout=subprocess.DEVNULL)
    verify = signed_bundle(mbom, big, scratch)
    hash_big = [mbom, "hash", str(big), "--no-cache"]
    commands = [
        Command("mbom --version", [mbom, "--version"]),
        Command("mbom hash big sha256 --no-cache", hash_big),
        Command("mbom hash big blake3 --no-cache", [*hash_big, "--algorithm", "blake3"]),
        Command("mbom hash big sha256, mapped", hash_big, env={"MBOM_HASH_MMAP": "1"}),
        Command("mbom hash big sha256, read", hash_big, env={"MBOM_HASH_MMAP": "0"}),
        Command(
            "mbom hash big blake3, mapped",
            [*hash_big, "--algorithm", "blake3"],
            env={"MBOM_HASH_MMAP": "1"},
        ),
        Command(
            "mbom hash big blake3, read",
            [*hash_big, "--algorithm", "blake3"],
            env={"MBOM_HASH_MMAP": "0"},
        ),
        Command(
            "mbom hash big sha256, cached, 1 file changed",
            [mbom, "hash", str(big)],
            before_each=touch_config,
            after_each=restore_config,
        ),
        Command("mbom hash small sha256 --no-cache", [mbom, "hash", str(small), "--no-cache"]),
        Command(
            "mbom generate big --no-cache",
            [mbom, "generate", "--model", str(big), "--no-cache", "-o", str(scratch / "g.json")],
        ),
        Command("mbom verify big", verify),
        *peer_commands(big, small, scratch),
    ]
    print(
        f"\nbig: {big_bytes / 1e9:.2f} GB in {len(list(big.iterdir()))} files; "
        f"small: {args.small_files} x 4 KiB; median of {args.runs} interleaved warm rounds; "
        f"{cores} cores\n"
    )
    rows, limits = interleaved(commands, args.runs, lambda: compute_limits(big, cores or 1, 1))
    shutil.rmtree(scratch, ignore_errors=True)
    report(rows, big_bytes, limits)
    print(f"\nload average at the end: {load_average()}")
    return 0


def report(rows: dict[str, Timing], big_bytes: int, limits: dict[str, float]) -> None:
    def seconds(label: str) -> float | None:
        return rows[label].seconds if label in rows else None

    print(f"  {'command':<44} {'median':>8}  {'peak RSS':>9}  {'GB/s':>5}  compute limit")
    for label, timing in rows.items():
        line = f"  {label:<44} {timing.seconds:6.3f} s  {timing.peak_rss_mb:6.1f} MB"
        if " big" in label and "cached" not in label:
            line += f"  {big_bytes / timing.seconds / 1e9:5.2f}"
            algorithm = "blake3" if ("blake3" in label or "b3sum" in label) else "sha256"
            limit = limits[algorithm]
            line += f"  {algorithm} {limit:.3f} s ({timing.seconds / limit:.2f} x)"
        print(line)
    sha = seconds("mbom hash big sha256 --no-cache")
    checks = [
        ("blake3 big: mbom / b3sum <= 1.10", seconds("mbom hash big blake3 --no-cache"),
         seconds("b3sum big"), 1.10),
        ("sha256 big: mbom / compute limit <= 1.15", sha, limits["sha256"], 1.15),
        ("  (mbom / pure compute from L2, for reference)", sha, limits["sha256-l2"], 1.15),
        ("  (mbom / hashing the page cache in-process, ref.)", sha, limits["sha256-mapped"],
         1.15),
        ("  (blake3: mbom / the page cache in-process, ref.)",
         seconds("mbom hash big blake3 --no-cache"), limits["blake3-mapped"], 1.10),
        ("  (b3sum / pure compute from L2, for reference)", seconds("b3sum big"),
         limits["blake3-l2"], 1.10),
        ("sha256 big: mbom / model_signing <= 0.60", sha,
         seconds("model_signing sign key big"), 0.60),
        ("generate big: mbom generate / mbom hash <= 1.10",
         seconds("mbom generate big --no-cache"), sha, 1.10),
        ("generate big: mbom / toolkit-ml-provenance <= 0.60",
         seconds("mbom generate big --no-cache"),
         seconds("toolkit-ml-provenance generate big"), 0.60),
        ("verify big: mbom verify / mbom hash <= 1.10", seconds("mbom verify big"), sha, 1.10),
        ("small: mbom / find|xargs -P2 sha256sum <= 1.20",
         seconds("mbom hash small sha256 --no-cache"),
         seconds("find small | xargs -0 -P2 sha256sum"), 1.20),
        ("small: mbom / model_signing < 1.00", seconds("mbom hash small sha256 --no-cache"),
         seconds("model_signing sign key small"), 1.0),
        ("cached re-run / full sha256 <= 0.10",
         seconds("mbom hash big sha256, cached, 1 file changed"), sha, 0.10),
    ]  # fmt: skip
    print("\nratios (target in the label):")
    for label, ours, theirs, limit in checks:
        if ours is None or theirs is None:
            print(f"  {label:<52} n/a (peer not available)")
            continue
        ratio = ours / theirs
        print(f"  {label:<52} {ratio:6.3f}  {'ok' if ratio <= limit else 'MISSED'}")
    rss = max(rows[f"mbom hash big {name} --no-cache"].peak_rss_mb for name in ("sha256", "blake3"))
    version = rows["mbom --version"].seconds
    print(
        f"  {'peak RSS hashing big (sha256, blake3) <= 64 MB':<52} {rss:6.1f} MB"
        f"  {'ok' if rss <= 64 else 'MISSED'}"
    )
    verdict = "ok" if version < 0.15 else "MISSED"
    print(f"  {'mbom --version < 0.15 s':<52} {version:6.3f} s  {verdict}")


if __name__ == "__main__":
    sys.exit(main())
