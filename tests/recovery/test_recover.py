"""mbom.recover and ``mbom recover``: each corruption named and skipped, exit codes, torn tails."""

from __future__ import annotations

import json
import os

import pytest

from mbom.attest.keys import load_public_key
from mbom.errors import InputError, TrustMaterialError
from mbom.recovery import recover
from tests.helpers.cli import run_cli
from tests.recovery.conftest import DeadRun


def _flip(run: DeadRun) -> str:
    target = run.checkpoint(3) / "optimizer.bin"
    data = bytearray(target.read_bytes())
    data[100] ^= 0x80
    target.write_bytes(bytes(data))
    return "optimizer.bin"


def _truncate(run: DeadRun) -> str:
    target = run.checkpoint(3) / "optimizer.bin"
    os.truncate(target, 10)
    return "optimizer.bin"


def _replace(run: DeadRun) -> str:
    target = run.checkpoint(3) / "optimizer.bin"
    target.unlink()
    target.write_bytes(b"\x00" * 4096)
    return "optimizer.bin"


def _delete_file(run: DeadRun) -> str:
    (run.checkpoint(3) / "model.json").unlink()
    return "model.json"


@pytest.mark.parametrize(
    ("corrupt", "reason", "problem"),
    [
        (_flip, "altered", "altered"),
        (_truncate, "truncated", "truncated"),
        (_replace, "altered", "altered"),
        (_delete_file, "missing", "missing"),
    ],
)
def test_a_corrupted_newest_checkpoint_is_named_and_the_previous_one_chosen(
    dead_run: DeadRun, corrupt, reason: str, problem: str
) -> None:
    name = corrupt(dead_run)
    found = recover(dead_run.run_dir, keys=[dead_run.pub])
    assert found.exit_code == 0 and found.checkpoint.step == 2
    assert found.path == str(dead_run.checkpoint(2))
    [skipped] = found.skipped
    assert (skipped.checkpoint.step, skipped.reason) == (3, reason)
    [file] = skipped.files
    assert (file.file, file.problem) == (name, problem)
    assert file.expected is not None and file.expected != file.actual
    assert [c.step for c in found.chain] == [1, 2]

    result = run_cli("recover", dead_run.run_dir, "--key", dead_run.pub, "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["checkpoint"]["step"] == 2 and report["signaturesChecked"] is True
    assert report["skipped"][0]["files"][0]["file"] == name
    text = run_cli("recover", dead_run.run_dir, "--key", dead_run.pub)
    assert text.stdout.strip() == str(dead_run.checkpoint(2))  # the path alone on stdout
    assert f"skipped step 3 ({reason})" in text.stderr and name in text.stderr


def test_a_whole_missing_checkpoint_is_named(dead_run: DeadRun) -> None:
    import shutil

    shutil.rmtree(dead_run.checkpoint(3))
    shutil.rmtree(dead_run.checkpoint(2))
    found = recover(dead_run.run_dir, keys=[load_public_key(dead_run.pub)])
    assert found.checkpoint.step == 1
    assert [(s.checkpoint.step, s.reason) for s in found.skipped] == [
        (3, "missing"),
        (2, "missing"),
    ]


def test_no_checkpoint_verifies_exit_1(dead_run: DeadRun) -> None:
    for step in (1, 2, 3):
        (dead_run.checkpoint(step) / "model.json").write_text("{}")
    found = recover(dead_run.run_dir, keys=[dead_run.pub])
    assert found.exit_code == 1 and found.checkpoint is None and len(found.skipped) == 3
    result = run_cli("recover", dead_run.run_dir, "--key", dead_run.pub)
    assert result.returncode == 1 and result.stdout == ""
    assert "no checkpoint verifies" in result.stderr


def test_a_torn_tail_is_reported_not_fatal(dead_run: DeadRun) -> None:
    with open(dead_run.journal, "ab") as journal:
        journal.write(b'{"event":{"action":"checkpo')  # a kill in the middle of an append
    found = recover(dead_run.run_dir, keys=[dead_run.pub])
    assert found.checkpoint.step == 3 and found.torn_tail == b'{"event":{"action":"checkpo'
    result = run_cli("recover", dead_run.run_dir, "--key", dead_run.pub)
    assert result.returncode == 0 and "torn tail: 27 bytes" in result.stderr


def test_bad_input_and_nothing_to_verify(tmp_path, dead_run: DeadRun) -> None:
    with pytest.raises(InputError):
        recover(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TrustMaterialError):
        recover(tmp_path / "empty")
    assert run_cli("recover", tmp_path / "nope").returncode == 2
    missing = run_cli("recover", tmp_path / "empty")
    assert missing.returncode == 3 and "no journal" in missing.stderr
    assert run_cli("recover", dead_run.run_dir, "--key", tmp_path / "nokey.pub").returncode == 2
