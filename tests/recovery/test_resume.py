"""record(resume="auto"): verified resume, the same chain and run id, the recovery recorded;
and the BOM of a run that never finished (generate --from-journal, recover --bom)."""

from __future__ import annotations

import itertools
import json

import pytest

import mbom
from mbom.errors import VerificationError
from tests.helpers.cli import run_cli
from tests.recovery.conftest import DeadRun, record_options, write_checkpoint
from tests.recovery.helpers import bom_chain, bom_properties, digest, journal_events


def test_a_fresh_start_has_no_resumed(tmp_path, dead_run: DeadRun) -> None:
    with mbom.record(
        tmp_path / "fresh" / "bom.cdx.json", **record_options(dead_run, resume="auto")
    ) as run:
        assert run.resumed is None
        run.checkpoint(write_checkpoint(tmp_path / "fresh", 1), step=1)
    assert bom_properties(tmp_path / "fresh" / "bom.cdx.json")["mbom:run:recoveries"] == "0"


def test_resume_continues_the_same_chain_and_records_the_recovery(dead_run: DeadRun) -> None:
    (dead_run.checkpoint(3) / "optimizer.bin").write_bytes(b"?" * 4096)  # corrupted while down
    with open(dead_run.journal, "ab") as journal:
        journal.write(b'{"event":{"act')  # and the last append was torn
    bom = dead_run.run_dir / "bom.cdx.json"
    with mbom.record(bom, **record_options(dead_run, resume="auto")) as run:
        assert (run.resumed.step, run.resumed.path) == (2, str(dead_run.checkpoint(2)))
        assert [s.reason for s in run.resumed.skipped] == ["altered"]
        for step in (3, 4):
            run.checkpoint(write_checkpoint(dead_run.run_dir, step), step=step)
    chain = bom_chain(bom)
    assert [int(s["mbom:checkpoint:step"]) for s in chain] == [1, 2, 3, 4]
    for before, after in itertools.pairwise(chain):
        assert after["mbom:checkpoint:parent"] == digest(before)
    events = journal_events(dead_run.journal)
    [start] = [e for _, e in events if e["action"] == "run-start"]
    [recovery] = [e for _, e in events if e["action"] == "recovery"]
    assert {e["run"] for _, e in events} == {start["run"]}
    assert recovery["resumedFrom"]["step"] == 2 and recovery["tornTail"]["bytes"] == 14
    assert recovery["skipped"][0]["files"][0]["file"] == "optimizer.bin"
    properties = bom_properties(bom)
    assert properties["mbom:run:id"] == start["run"]
    assert properties["mbom:run:status"] == "complete"
    summary = json.loads(properties["mbom:run:recovery:1"])
    assert summary["resumedFromStep"] == 2 and summary["skipped"][0]["reason"] == "altered"
    # the final model still verifies, and mbom audit shows the recovery
    bundle = dead_run.run_dir / "bom.cdx.json.sigstore.json"
    model = dead_run.checkpoint(4)
    assert run_cli("verify", model, "--bundle", bundle, "--key", dead_run.pub).returncode == 0
    audit = run_cli("audit", model, "--bundle", bundle, "--key", dead_run.pub, "--format", "json")
    assert audit.returncode == 0, audit.stderr
    report = json.loads(audit.stdout)
    assert report["run"]["id"] == start["run"] and report["run"]["status"] == "complete"
    assert report["run"]["recoveries"][0]["skipped"][0]["step"] == 3
    markdown = run_cli("audit", model, "--bundle", bundle, "--key", dead_run.pub)
    assert "resumed from step 2" in markdown.stdout and "altered" in markdown.stdout


def test_resume_refuses_when_no_checkpoint_verifies(dead_run: DeadRun) -> None:
    for step in (1, 2, 3):
        (dead_run.checkpoint(step) / "model.json").write_text("{}")
    run = mbom.record(dead_run.run_dir / "bom.cdx.json", **record_options(dead_run, resume="auto"))
    with pytest.raises(VerificationError, match=r"no checkpoint .* verifies, refusing to resume"):
        run.start()


def test_resume_options_are_checked(dead_run: DeadRun) -> None:
    from mbom.errors import InputError

    with pytest.raises(InputError):
        mbom.record("x.cdx.json", resume="yes")
    with pytest.raises(InputError):
        mbom.record("x.cdx.json", resume="auto", resume_from="ckpt")
    with pytest.raises(InputError):
        mbom.record("x.cdx.json", resume="auto", journal=False)


def test_an_unfinished_run_has_an_incomplete_bom(dead_run: DeadRun, tmp_path) -> None:
    out = tmp_path / "incomplete.cdx.json"
    result = run_cli(
        "generate",
        "--from-journal",
        dead_run.journal,
        "--journal-key",
        dead_run.pub,
        "--no-environment",
        "-o",
        out,
    )
    assert result.returncode == 0, result.stderr
    assert run_cli("validate", out).returncode == 0
    properties = bom_properties(out)
    assert properties["mbom:run:status"] == "incomplete"
    assert [int(s["mbom:checkpoint:step"]) for s in bom_chain(out)] == [1, 2, 3]
    document = json.loads(out.read_text())
    assert document["metadata"]["component"]["name"] == "dead"
    # recover --bom writes the same kind of BOM
    other = tmp_path / "r.cdx.json"
    assert (
        run_cli("recover", dead_run.run_dir, "--key", dead_run.pub, "--bom", other).returncode == 0
    )
    assert bom_properties(other)["mbom:run:status"] == "incomplete"
    # a journal whose checkpoints all fail gives no BOM (exit 1), nothing written
    for step in (1, 2, 3):
        (dead_run.checkpoint(step) / "model.json").write_text("{}")
    failed = run_cli("generate", "--from-journal", dead_run.journal, "-o", tmp_path / "no.cdx.json")
    assert failed.returncode == 1 and not (tmp_path / "no.cdx.json").exists()
