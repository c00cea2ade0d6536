"""Issue #10 item 12: a BOM and its sidecar manifests are written as one set.

A failure at any point (the disk fills while writing the BOM, a rename fails) leaves the
previous BOM and the manifests it pins as they were; ENOSPC / EACCES are one-line input
errors naming the path (exit 2), not "unexpected OSError".
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from mbom import _atomic
from mbom.errors import InputError
from tests.verify.tamper_helpers import mbom_cli


def _generate(model: Path, data: Path, out: Path) -> None:
    from mbom.generate import GenerateRequest, generate, manifest_stem_for, write_bom

    request = GenerateRequest(
        model=str(model),
        datasets=(f"train={data}",),
        environment=False,
        git_dir=None,
        packages=False,
        manifest_threshold=1,  # force a sidecar manifest
    )
    write_bom(generate(request, manifest_stem=manifest_stem_for(out), cache=False), out)


@pytest.fixture
def previous_set(tmp_path: Path) -> tuple[Path, Path, Path, dict[str, bytes]]:
    model, data, out = tmp_path / "model", tmp_path / "data", tmp_path / "out"
    for folder in (model, data, out):
        folder.mkdir()
    (model / "w.bin").write_bytes(b"weights")
    (data / "a.jsonl").write_text("{}\n")
    (data / "b.jsonl").write_text("{}\n")
    _generate(model, data, out / "bom.cdx.json")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert len(before) == 2 and any(n.endswith(".cdx.manifest.jsonl") for n in before)
    (data / "c.jsonl").write_text('{"new": 1}\n')  # the next BOM has a different manifest
    return model, data, out, before


def _pins_its_manifest(out: Path) -> bool:
    bom = json.loads((out / "bom.cdx.json").read_text())
    text = json.dumps(bom)
    manifest = next(p for p in out.iterdir() if p.name.endswith(".cdx.manifest.jsonl"))
    return hashlib.sha256(manifest.read_bytes()).hexdigest() in text


def _fail_on_call(monkeypatch, name: str, number: int, code: int) -> list[str]:
    real = getattr(os, name)
    calls: list[str] = []

    def failing(*args, **kwargs):
        calls.append(str(args[0]))
        if len(calls) == number:
            raise OSError(code, os.strerror(code))
        return real(*args, **kwargs)

    monkeypatch.setattr(_atomic.os, name, failing)
    return calls


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EIO])
def test_disk_full_while_writing_the_bom_keeps_the_old_set(previous_set, monkeypatch, code):
    model, data, out, before = previous_set
    _fail_on_call(monkeypatch, "fsync", 2, code)  # the manifest is flushed, the BOM is not
    with pytest.raises(InputError, match=r"bom\.cdx\.json: cannot write: ") as caught:
        _generate(model, data, out / "bom.cdx.json")
    assert "\n" not in str(caught.value)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no temporaries left
    assert _pins_its_manifest(out)


def test_rename_of_the_bom_failing_restores_the_manifest(previous_set, monkeypatch):
    model, data, out, before = previous_set
    calls = _fail_on_call(monkeypatch, "replace", 2, errno.EACCES)
    with pytest.raises(InputError, match=r"bom\.cdx\.json: cannot write: Permission denied"):
        _generate(model, data, out / "bom.cdx.json")
    assert calls[0].endswith(".tmp")  # the manifest had been renamed into place first
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert _pins_its_manifest(out)


def test_new_set_written_when_nothing_fails(previous_set):
    model, data, out, before = previous_set
    _generate(model, data, out / "bom.cdx.json")
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after.keys() == before.keys() and after != before
    assert _pins_its_manifest(out)


def test_cli_reports_enospc_on_one_line_exit_2(previous_set, monkeypatch, capsys):
    model, data, out, before = previous_set
    _fail_on_call(monkeypatch, "fsync", 1, errno.ENOSPC)
    monkeypatch.setattr(
        sys,
        "argv",
        [
            "mbom",
            "generate",
            "--model",
            str(model),
            "--dataset",
            f"train={data}",
            "--no-environment",
            "--manifest-threshold",
            "1",
            "-o",
            str(out / "bom.cdx.json"),
        ],
    )
    from mbom.cli._entry import main

    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "No space left on device" in err, err
    assert "unexpected" not in err and ".cdx.manifest.jsonl" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv"
)
def test_read_only_output_directory_is_an_input_error_for_a_normal_user():
    base = Path(tempfile.mkdtemp(prefix="mbom-fs-ro-"))
    try:
        base.chmod(0o755)
        model, out = base / "model", base / "out"
        model.mkdir()
        (model / "w.bin").write_bytes(b"w")
        out.mkdir(mode=0o555)
        out.chmod(0o555)
        done = mbom_cli(
            "generate",
            "--model",
            str(model),
            "--no-environment",
            "--no-cache",
            "-o",
            str(out / "bom.cdx.json"),
            cwd=base,
            user="65534",
        )
        assert done.returncode == 2, done.stderr
        err = done.stderr.strip()
        assert len(err.splitlines()) == 1 and "Permission denied" in err, err
        assert str(out / "bom.cdx.json") in err
        assert list(out.iterdir()) == []
    finally:
        shutil.rmtree(base, ignore_errors=True)
