"""What a checkpoint every step costs with ``mbom.record``, against hashing only what changed.

A checkpoint directory like a fine-tuning run's: two frozen weight shards (never rewritten),
an optimizer state and a small trainer_state.json / RNG state rewritten at every step. For 20
steps the loop rewrites those files, then calls ``run.checkpoint``; the baseline is hashlib
SHA-256 over exactly the rewritten files (read from the page cache, like the recorder's).
Step 0 (the first checkpoint, where everything is new) is reported apart. Each checkpoint is
also journaled (fsync) and sealed with a signed tree head, as a run with a key does;
``--no-journal`` measures without.

``--recover N``: a run of N checkpoints of the same shape (frozen shards hard-linked between
checkpoints, as on a filesystem with deduplication; each has its own trainer state, the two
newest their own optimizer state), the newest corrupted (one byte flipped), then
``mbom.recovery.pick`` against hashlib over every file of the two newest checkpoints
(warm page cache, median of 3).

    python benchmarks/record_bench.py [--frozen-mib 256] [--optimizer-mib 64] [--steps 20]
    python benchmarks/record_bench.py --recover 50
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path


def write(path: Path, size: int, seed: int) -> None:
    block = hashlib.sha256(str(seed).encode()).digest() * (1 << 15)  # 1 MiB, differs per seed
    with open(path, "wb") as handle:
        for _ in range(size >> 20):
            handle.write(block)
        handle.write(block[: size & ((1 << 20) - 1)])


def write_shard(path: Path, size: int, seed: int) -> None:
    """A valid safetensors file of one U8 tensor, ``size`` payload bytes."""
    header = json.dumps({"w": {"dtype": "U8", "shape": [size], "data_offsets": [0, size]}})
    encoded = header.encode().ljust(-(-len(header) // 8) * 8)
    payload = path.with_suffix(".payload")
    write(payload, size, seed)
    with open(path, "wb") as handle, open(payload, "rb") as source:
        handle.write(len(encoded).to_bytes(8, "little") + encoded)
        while chunk := source.read(1 << 20):
            handle.write(chunk)
    payload.unlink()


def rewrite(directory: Path, step: int, optimizer_bytes: int) -> list[Path]:
    """What a framework rewrites at each save: optimizer state, trainer state, RNG state."""
    changed = [
        directory / "optimizer.bin",
        directory / "trainer_state.json",
        directory / "rng_state.bin",
    ]
    write(changed[0], optimizer_bytes, step)
    changed[1].write_text(
        json.dumps({"global_step": step, "log_history": [{"loss": 1 / (step + 1)}]})
    )
    write(changed[2], 14_000, step)
    return changed


def baseline(files: list[Path]) -> float:
    started = time.perf_counter()
    for path in files:
        with open(path, "rb") as handle:
            hashlib.file_digest(handle, "sha256")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frozen-mib", type=int, default=256, help="two shards of half each")
    parser.add_argument("--optimizer-mib", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument(
        "--fixed-window",
        action="store_true",
        help="use the cache's fixed 2 s racy window instead of the filesystem clock",
    )
    parser.add_argument("--no-journal", action="store_true", help="record without the journal")
    parser.add_argument("--recover", type=int, metavar="N", help="time recover on N checkpoints")
    options = parser.parse_args()
    if options.recover:
        recover_bench(options)
        return
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["MBOM_CACHE_DIR"] = os.path.join(scratch, "cache")
        import mbom

        ckpt = Path(scratch) / "checkpoint"
        ckpt.mkdir()
        for index in (1, 2):
            shard = ckpt / f"model-0000{index}-of-00002.safetensors"
            write_shard(shard, options.frozen_mib << 19, index)
        optimizer = options.optimizer_mib << 20
        rewrite(ckpt, 0, optimizer)
        recorder, hashed = [], []
        from mbom.attest import write_key_pair
        from mbom.hashing import HashCache

        cache = HashCache() if options.fixed_window else True
        key, _public = write_key_pair(Path(scratch) / "k")
        with mbom.record(
            Path(scratch) / "bom.cdx.json",
            environment=False,
            cache=cache,
            journal=not options.no_journal,
            journal_key=key,
        ) as run:
            started = time.perf_counter()
            run.checkpoint(ckpt, step=0)
            first = time.perf_counter() - started
            for step in range(1, options.steps + 1):
                changed = rewrite(ckpt, step, optimizer)
                started = time.perf_counter()
                run.checkpoint(ckpt, step=step, metrics={"loss": 1 / step})
                recorder.append(time.perf_counter() - started)
                hashed.append(baseline(changed))
        changed_mib = sum(p.stat().st_size for p in changed) / (1 << 20)
    total_mib = options.frozen_mib + changed_mib
    print(f"checkpoint: {total_mib:.1f} MiB, of which {changed_mib:.1f} MiB rewritten per step")
    print(f"step 0 (everything new): {first * 1000:.1f} ms")
    mean_recorder = 1000 * sum(recorder) / len(recorder)
    mean_hashed = 1000 * sum(hashed) / len(hashed)
    print(
        f"steps 1-{options.steps}, per step (mean): recorder {mean_recorder:.1f} ms, "
        f"hashlib on the changed files only {mean_hashed:.1f} ms"
    )
    journal = "without the journal" if options.no_journal else "journal fsync + signed seal"
    print(f"ratio recorder ({journal}) / changed-bytes hashing: {sum(recorder) / sum(hashed):.3f}")


def recover_bench(options: argparse.Namespace) -> None:
    """recover on ``options.recover`` checkpoints, newest corrupted, vs hashing the two newest."""
    import statistics

    with tempfile.TemporaryDirectory() as scratch:
        os.environ["MBOM_CACHE_DIR"] = os.path.join(scratch, "cache")
        import mbom
        from mbom.attest import write_key_pair
        from mbom.recovery import recover

        root = Path(scratch) / "run"
        shared = Path(scratch) / "shared"
        shared.mkdir()
        for index in (1, 2):
            write_shard(
                shared / f"model-0000{index}-of-00002.safetensors", options.frozen_mib << 19, index
            )
        write(shared / "optimizer.bin", options.optimizer_mib << 20, 0)
        key, public = write_key_pair(Path(scratch) / "k")
        count = options.recover
        with mbom.record(root / "bom.cdx.json", environment=False, journal_key=key) as run:
            for step in range(1, count + 1):
                ckpt = root / f"checkpoint-{step}"
                ckpt.mkdir(parents=True)
                for item in shared.iterdir():
                    if item.name != "optimizer.bin" or step <= count - 2:
                        os.link(item, ckpt / item.name)
                if step > count - 2:
                    write(ckpt / "optimizer.bin", options.optimizer_mib << 20, step)
                (ckpt / "trainer_state.json").write_text(json.dumps({"global_step": step}))
                run.checkpoint(ckpt, step=step)
            newest = root / f"checkpoint-{count}" / "optimizer.bin"
            with open(newest, "r+b") as handle:  # corrupted while the job was down
                handle.seek(12345)
                byte = handle.read(1)
                handle.seek(12345)
                handle.write(bytes([byte[0] ^ 1]))
            two = [
                p for s in (count, count - 1) for p in sorted((root / f"checkpoint-{s}").iterdir())
            ]
            size = sum(p.stat().st_size for p in two) / (1 << 20) / 2
            baseline(two)  # warm the page cache for both
            found = recover(root, keys=[public])
            assert found.checkpoint is not None and found.checkpoint.step == count - 1
            timed_recover, timed_hash = [], []
            for _ in range(3):
                started = time.perf_counter()
                recover(root, keys=[public])
                timed_recover.append(time.perf_counter() - started)
                timed_hash.append(baseline(two))
            run.finish(root / f"checkpoint-{count - 1}")
    ratio = statistics.median(timed_recover) / statistics.median(timed_hash)
    print(f"recover: {count} checkpoints of {size:.1f} MiB, the newest corrupted")
    print(
        f"recover {statistics.median(timed_recover) * 1000:.1f} ms, hashlib on the two newest "
        f"{statistics.median(timed_hash) * 1000:.1f} ms (median of 3)"
    )
    print(f"ratio recover / hashing the two newest: {ratio:.3f}")


if __name__ == "__main__":
    main()
