"""The process entry ends with ``os._exit`` after a normal exit's work: prove nothing is lost.

``mbom.cli._entry.console`` skips the interpreter's teardown. These tests run it in real
subprocesses and check what a user or a pipeline sees: the exit status of each class (0, 1, 2),
output that is complete when it is large, atexit callbacks that still run, a non-daemon thread
that is still waited for, a reader that closes the pipe early, and ``main`` staying safe to
call in-process (it raises ``SystemExit``; only ``console`` ends the process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mbom.cli._entry import main


def _run(*args: str, stdout: int = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mbom.cli", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        check=False,
        timeout=300,  # a safety net against a hang, not a timing assertion
    )


def _script(body: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(body)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=300,
    )


def test_success_verification_failure_and_bad_input_keep_their_exit_codes(tmp_path: Path) -> None:
    assert _run("--version").returncode == 0
    invalid = tmp_path / "bom.cdx.json"
    invalid.write_text(
        json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": "x"})
    )
    failed = _run("validate", str(invalid))
    assert failed.returncode == 1, failed.stderr
    missing = _run("hash", str(tmp_path / "absent"))
    assert missing.returncode == 2
    assert len(missing.stderr.strip().splitlines()) == 1 and "Traceback" not in missing.stderr


def test_large_output_arrives_whole(tmp_path: Path) -> None:
    model = tmp_path / "m"
    model.mkdir()
    for i in range(3000):
        (model / f"f{i:05d}.bin").write_bytes(i.to_bytes(4, "big"))
    done = _run("hash", str(model), "--no-cache", "--format", "json")
    assert done.returncode == 0, done.stderr
    names = json.dumps(json.loads(done.stdout))
    assert all(f"f{i:05d}.bin" in names for i in range(3000))


def test_a_reader_that_closes_early_gets_no_traceback() -> None:
    reader = subprocess.Popen(["head", "-c", "1"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        done = _run("--help", stdout=reader.stdin.fileno())  # type: ignore[union-attr]
    finally:
        reader.stdin.close()  # type: ignore[union-attr]
        reader.wait(timeout=60)
    assert "Traceback" not in done.stderr


def test_atexit_callbacks_run_before_the_quick_exit(tmp_path: Path) -> None:
    marker = tmp_path / "atexit-ran"
    done = _script(
        f"""
        import atexit, sys
        from pathlib import Path
        atexit.register(lambda: Path({str(marker)!r}).write_text("ran"))
        sys.argv = ["mbom", "--version"]
        from mbom.cli._entry import console
        console()
        """
    )
    assert done.returncode == 0, done.stderr
    assert marker.read_text() == "ran"


def test_a_running_non_daemon_thread_is_waited_for(tmp_path: Path) -> None:
    marker = tmp_path / "thread-finished"
    done = _script(
        f"""
        import sys, threading, time
        from pathlib import Path
        def late():
            time.sleep(0.5)
            Path({str(marker)!r}).write_text("done")
        threading.Thread(target=late).start()
        sys.argv = ["mbom", "--version"]
        from mbom.cli._entry import console
        console()
        """
    )
    assert done.returncode == 0, done.stderr
    assert marker.read_text() == "done"


def test_main_in_process_raises_system_exit_instead_of_ending_the_caller(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["mbom", "--version"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code in (0, None)
    assert "mbom" in capsys.readouterr().out


def test_temporary_files_are_gone_and_sidecars_whole_after_the_quick_exit(tmp_path: Path) -> None:
    """A manifest streamed to a temporary file (removed by a weakref finalizer at exit)."""
    model, data, scratch = tmp_path / "m", tmp_path / "d", tmp_path / "tmp"
    for folder in (model, data, scratch):
        folder.mkdir()
    (model / "w.bin").write_bytes(b"weights")
    for i in range(50):
        (data / f"{i}.txt").write_text(str(i))
    bom = tmp_path / "out" / "bom.cdx.json"
    bom.parent.mkdir()
    done = subprocess.run(
        [
            *(sys.executable, "-m", "mbom.cli", "generate", "--model", str(model)),
            *("--dataset", f"train={data}", "--manifest-threshold", "10", "--no-environment"),
            *("--no-cache", "-o", str(bom)),
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "TMPDIR": str(scratch)},
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert list(scratch.iterdir()) == []
    sidecars = [p for p in bom.parent.iterdir() if p.name.endswith(".jsonl")]
    assert len(sidecars) == 1
    assert len(sidecars[0].read_text().splitlines()) == 50
