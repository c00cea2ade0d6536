"""Many processes appending to one log at once: no entry lost, none interleaved."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mbom.attest.keys import load_public_key, load_signing_key, write_key_pair
from mbom.forensics.log import append_checkpoint, verify_log

WORKERS = 8
APPENDS = 500

WORKER = """
import sys
from mbom.attest.keys import load_signing_key
from mbom.forensics.log import append_event

log, worker, count, key = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
signing = load_signing_key(key)
for seq in range(count):
    append_event(log, {"worker": worker, "seq": seq, "pad": "x" * (seq % 300)}, key=signing)
"""


def test_eight_processes_append_4000_entries_that_verify(tmp_path: Path) -> None:
    private, public = write_key_pair(tmp_path / "log")
    log = tmp_path / "audit.log"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(log), str(n), str(APPENDS), str(private)],
            stderr=subprocess.PIPE,
        )
        for n in range(WORKERS)
    ]
    for process in workers:
        _, stderr = process.communicate()
        assert process.returncode == 0, stderr.decode()
    append_checkpoint(log, load_signing_key(private))  # seal the last entries too
    result = verify_log(log, public_keys=[load_public_key(public)])
    assert result.valid, result.problem
    assert result.torn_tail == 0
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert result.sealed == len(entries)
    events = [e["event"] for e in entries if e["kind"] == "event"]
    assert len(events) == WORKERS * APPENDS
    for worker in range(WORKERS):
        sequence = [e["seq"] for e in events if e["worker"] == worker]
        assert sequence == list(range(APPENDS))  # each worker's appends, all there, in order
    checkpoints = [c for c in result.checkpoints if c.status == "verified"]
    assert len(checkpoints) == len(result.checkpoints) >= WORKERS * APPENDS // 100
