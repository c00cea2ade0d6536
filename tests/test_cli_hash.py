"""`mbom hash` as a user runs it: a real subprocess, real files, the documented contract."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

MBOM = [sys.executable, "-m", "mbom.cli"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MBOM, *args], capture_output=True, text=True, cwd=cwd, check=False)


@pytest.fixture
def model(tmp_path: Path) -> Path:
    root = tmp_path / "model"
    (root / "tokenizer").mkdir(parents=True)
    (root / "config.json").write_text('{"model_type": "bert"}')
    (root / "model.safetensors").write_bytes(os.urandom(5000))
    (root / "tokenizer" / "vocab.txt").write_text("[PAD]\n[UNK]\n")
    return root


def test_json_output_matches_contract(model: Path) -> None:
    result = run("hash", str(model), "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["algorithm"] == "sha256"
    assert len(document["root"]) == 64
    assert [f["path"] for f in document["files"]] == [
        "config.json",
        "model.safetensors",
        "tokenizer/vocab.txt",
    ]
    weights = document["files"][1]
    data = (model / "model.safetensors").read_bytes()
    assert weights == {
        "path": "model.safetensors",
        "size": len(data),
        "digest": hashlib.sha256(data).hexdigest(),
    }


def test_json_single_file_root_is_null(model: Path) -> None:
    document = json.loads(run("hash", str(model / "config.json"), "--format", "json").stdout)
    assert document["root"] is None and document["files"][0]["path"] == "config.json"


def test_text_output_is_checkable_by_sha256sum(model: Path) -> None:
    result = run("hash", "model", "--no-cache", cwd=model.parent)
    assert result.returncode == 0
    check = subprocess.run(
        ["sha256sum", "-c", "--strict", "-"],
        input=result.stdout,
        capture_output=True,
        text=True,
        cwd=model.parent,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "# root sha256 " in result.stdout


def test_blake3_and_jobs(model: Path) -> None:
    document = json.loads(
        run("hash", str(model), "--algorithm", "blake3", "--jobs", "1", "--format", "json").stdout
    )
    assert document["algorithm"] == "blake3"


def test_several_paths_give_a_list(model: Path) -> None:
    document = json.loads(
        run("hash", str(model), str(model / "config.json"), "--format", "json").stdout
    )
    assert isinstance(document, list) and len(document) == 2


def test_rerun_with_cache_gives_the_same_digests(model: Path) -> None:
    run("hash", str(model))
    document = json.loads(run("hash", str(model), "--format", "json").stdout)
    uncached = json.loads(run("hash", str(model), "--no-cache", "--format", "json").stdout)
    assert uncached["cached"] == 0
    assert document["files"] == uncached["files"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["hash", "/definitely/not/here"], "no such file or directory"),
        (["hash", "--algorithm", "md5", "."], "Invalid value for '--algorithm'"),
        (["hash", "--jobs", "0", "."], "Invalid value for '--jobs'"),
        (["hash"], "Missing argument"),
        (["hash", "--bogus", "."], "No such option"),
    ],
)
def test_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_symlink_escape_exits_2(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("x")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "w").symlink_to(tmp_path / "secret")
    result = run("hash", str(tmp_path / "model"))
    assert result.returncode == 2
    assert "leaves the root" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_version_and_help() -> None:
    version = run("--version")
    assert version.returncode == 0 and "mbom, version" in version.stdout
    assert "hash" in run("--help").stdout


def test_version_does_not_import_heavy_modules() -> None:
    code = (
        "import sys; from mbom.cli.main import cli; "
        "heavy = [m for m in ('cyclonedx', 'sigstore', 'huggingface_hub', 'torch', 'rich',"
        " 'pathspec', 'blake3') if m in sys.modules]; print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_validate_and_verify_rules_load_no_checkpoint_reader(tmp_path: Path) -> None:
    """Reading recorded safety needs :mod:`mbom.capture.checkpoints.safety` only, and
    validating a BOM needs no summary: neither pulls in the readers' modules (~50 ms)."""
    bom = tmp_path / "bom.cdx.json"
    bom.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}')
    code = (
        "import sys; import mbom.verify.rules; from mbom.bom.validate import validate_bom; "
        f"assert not validate_bom({str(bom)!r}).errors; "
        "print([m for m in ('mbom.capture.checkpoints.results', 'mbom.capture.checkpoints.pytorch',"
        " 'mbom.capture.checkpoints._identify', 'mbom.bom.summary') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


HOSTILE_NAMES = {
    "new\nline.bin": b"a",  # would start a forged line
    "cr\rreturn.bin": b"b",
    "back\\slash.bin": b"c",
    "esc\x1b[31mred.bin": b"d",  # click stripped the escape from a pipe: a file that is not there
}


def _hostile_model(tmp_path: Path) -> Path:
    root = tmp_path / "hostile"
    root.mkdir()
    for name, data in HOSTILE_NAMES.items():
        (root / name).write_bytes(data)
    return root


def test_names_that_hold_line_breaks_are_written_as_coreutils_writes_them(tmp_path: Path) -> None:
    """Byte for byte what ``sha256sum`` prints for the same files, and ``sha256sum -c`` checks
    every one of them: no name adds a line or loses a character."""
    _hostile_model(tmp_path)
    names = sorted(HOSTILE_NAMES)
    ours = subprocess.run(
        [*MBOM, "hash", "hostile", "--no-cache"], capture_output=True, cwd=tmp_path, check=False
    )
    assert ours.returncode == 0, ours.stderr
    theirs = subprocess.run(
        ["sha256sum", *(f"hostile/{name}" for name in names)],
        capture_output=True,
        cwd=tmp_path,
        check=True,
    )
    files = [line for line in ours.stdout.split(b"\n") if line and not line.startswith(b"#")]
    assert sorted(files) == sorted(theirs.stdout.split(b"\n")[:-1])
    check = subprocess.run(
        ["sha256sum", "-c", "--strict", "-"],
        input=ours.stdout,
        capture_output=True,
        cwd=tmp_path,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(b": OK\n") == len(names)


def test_on_a_terminal_control_characters_are_escaped(tmp_path: Path) -> None:
    """A terminal gets no raw escape from a file name (``\\x1b[1A\\x1b[2K`` would erase a line)."""
    import pty

    _hostile_model(tmp_path)
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [*MBOM, "hash", "hostile", "--no-cache"],
            stdout=follower,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            check=False,
        )
        os.close(follower)
        follower = -1
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end closed
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    assert done.returncode == 0, done.stderr
    assert b"\x1b" not in shown
    assert b"esc\\x1b[31mred.bin" in shown and b"hostile/new\\nline.bin" in shown


def test_an_error_naming_a_path_is_one_line() -> None:
    result = run("hash", "/not/here\nmbom: error: forged")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "here\\x0ambom" in result.stderr
