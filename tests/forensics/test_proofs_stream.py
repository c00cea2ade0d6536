"""Inclusion proofs at scale and where the data lives: a 500,000-file manifest is proved in one
streaming pass (peak RSS bounded), and an S3 object of a remote dataset is hashed in place."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.forensics.conftest import entry, run_mbom, write_manifest_bom
from tests.helpers.cli import REPO, run_cli
from tests.helpers.s3server import s3_env, s3_server  # noqa: F401  (fixtures)

RSS_SCRIPT = """
import json, sys
from tests.helpers.rss import peak_rss
from mbom.forensics.proofs import make_proof
proof = make_proof(sys.argv[1], sys.argv[2])
peak = peak_rss()
print(json.dumps({"peak": peak, "proof": proof.to_json()}))
"""


def test_proof_from_a_500k_file_manifest_in_bounded_memory(tmp_path: Path) -> None:
    """Peak RSS of the prover in a fresh process: a generous bound, no timing (holding the
    files, leaves and keys in memory took over 300 MB at this size)."""
    count = 500_000
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "mid.bin").write_bytes(b"the one real file\n")
    entries = [entry(f"p/{i:07d}", b"%d" % i) for i in range(count)]
    entries.append(entry("mid.bin", b"the one real file\n"))
    write_manifest_bom(tmp_path, entries)
    del entries
    done = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT, str(tmp_path / "data" / "mid.bin"), "bom.cdx.json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    measured = json.loads(done.stdout)
    proof = measured["proof"]
    assert (proof["index"], proof["treeSize"]) == (0, count + 1)  # "mid.bin" < "p/..."
    assert len(proof["auditPath"]) == 19
    assert measured["peak"] < 100 * 1024 * 1024, measured["peak"]
    (tmp_path / "proof.json").write_text(json.dumps(proof))
    checked = run_mbom("check-proof", "proof.json", "--bom", "bom.cdx.json", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr


@pytest.fixture
def remote_dataset(tmp_path: Path, s3_env):  # noqa: F811  (the fixture imported above)
    pytest.importorskip("s3fs", reason="needs the s3 extra: pip install 'mbom[s3]'")
    bucket = s3_env.bucket("prove")
    for i in range(40):
        s3_env.put(bucket, f"datasets/train/part-{i:03d}.txt", b"row %d\n" % i)
    model = tmp_path / "model"
    model.mkdir()
    (model / "w.bin").write_bytes(b"weights")
    url = f"s3://{bucket}/datasets/train"
    done = run_cli("generate", "--model", model, "--dataset", f"train={url}/",
                   "--no-environment", "-o", tmp_path / "bom.cdx.json",
                   "--manifest-threshold", "10", env=s3_env.env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "bom.train.cdx.manifest.jsonl").is_file()
    return s3_env, bucket, url, tmp_path


def test_prove_an_s3_object_where_it_lives(remote_dataset) -> None:
    env, bucket, url, base = remote_dataset
    obj = f"{url}/part-017.txt"
    done = run_cli("prove", obj, "--bom", "bom.cdx.json", "-o", "p.json", cwd=base, env=env.env)
    assert done.returncode == 0, done.stderr
    proof = json.loads((base / "p.json").read_text())
    assert proof["leaf"]["path"] == "part-017.txt" and proof["treeSize"] == 40
    assert proof["index"] == 17 and len(proof["auditPath"]) == 6
    for extra in ((), ("--file", obj)):
        checked = run_cli("check-proof", "p.json", "--bom", "bom.cdx.json", *extra, cwd=base,
                          env=env.env)  # fmt: skip
        assert checked.returncode == 0, checked.stderr

    env.put(bucket, "datasets/train/part-017.txt", b"overwritten\n")
    changed = run_cli("prove", obj, "--bom", "bom.cdx.json", "-o", "q.json", cwd=base,
                      env=env.env)  # fmt: skip
    assert changed.returncode == 1 and "part-017.txt: content differs" in changed.stderr
    assert not (base / "q.json").exists()
    stale = run_cli("check-proof", "p.json", "--bom", "bom.cdx.json", "--file", obj, cwd=base,
                    env=env.env)  # fmt: skip
    assert stale.returncode == 1 and "differs from the proof" in stale.stderr


def test_prove_an_object_outside_every_dataset_is_an_input_error(remote_dataset) -> None:
    env, bucket, _url, base = remote_dataset
    env.put(bucket, "elsewhere/x.txt", b"x\n")
    done = run_cli("prove", f"s3://{bucket}/elsewhere/x.txt", "--bom", "bom.cdx.json",
                   cwd=base, env=env.env)  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "no dataset of the BOM is recorded above" in done.stderr
