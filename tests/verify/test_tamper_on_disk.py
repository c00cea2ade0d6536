"""Issue #10 items 4 and 5: every on-disk tampering of a signed model is a FAIL (exit 1) naming
the path, with a full report in every format; nothing a loader can execute goes unverified.

The model is generated, the key made and the BOM signed through the CLI itself; each test
tampers with a fresh copy and runs ``mbom verify``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from mbom.bom.subjects import model_component
from tests.verify.tamper_helpers import generate_and_sign, mbom_cli

REMOTE_CODE = b"def forward(x):\n    return x\n"
MODEL = {
    "model.safetensors": b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ",
    "config.json": b'{"model_type": "x", "auto_map": {"AutoModel": "modeling_x.Model"}}\n',
    "modeling_x.py": REMOTE_CODE,
    "tokenizer/vocab.txt": b"[PAD]\nhello\n",
    "scripts/convert.sh": b"#!/bin/sh\necho convert\n",
    "logs/train.log": b"step 1 loss 0.5\n",
    ".mbomignore": b"logs/\n",
}


@dataclass(frozen=True)
class Signed:
    model: Path
    bundle: Path
    pub: Path
    base: Path


@pytest.fixture(scope="module")
def signed() -> Signed:
    # Outside pytest's 0700 temporary root and world-readable, so that a non-root user can run
    # verify on copies (the unreadable-file test).
    base = Path(tempfile.mkdtemp(prefix="mbom-fs-"))
    base.chmod(0o755)
    try:
        yield _make_signed(base)
    finally:
        for path in base.rglob("*"):
            if not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def _make_signed(base: Path) -> Signed:
    model = base / "model"
    for name, data in MODEL.items():
        (model / name).parent.mkdir(parents=True, exist_ok=True)
        (model / name).write_bytes(data)
    (model / "scripts" / "convert.sh").chmod(0o755)
    os.symlink("model.safetensors", model / "latest.safetensors")  # a legitimate link
    os.symlink("tokenizer", model / "tok")  # a legitimate link to a directory inside
    out = base / "out"
    out.mkdir()
    _bom, bundle, pub = generate_and_sign(model, out)
    for path in (out, *out.iterdir()):
        path.chmod(path.stat().st_mode | 0o005 if path.is_dir() else 0o644)
    return Signed(model, bundle, pub, base)


@pytest.fixture
def copy(signed: Signed, request: pytest.FixtureRequest) -> Path:
    target = signed.base / f"copy-{request.node.name}"[:80].replace("[", "-").replace("]", "")
    shutil.copytree(signed.model, target, symlinks=True)
    yield target
    for path in target.rglob("*"):  # undo chmod 000 and the like
        if not path.is_symlink():
            path.chmod(0o755)
    shutil.rmtree(target, ignore_errors=True)


def verify(signed: Signed, model: Path, fmt: str = "json", user: str | None = None):
    return mbom_cli(
        "verify",
        str(model),
        "--bundle",
        str(signed.bundle),
        "--key",
        str(signed.pub),
        "--format",
        fmt,
        user=user,
    )


def failing(report: dict) -> dict[str, set[str]]:
    """check id -> the paths its failures name."""
    found: dict[str, set[str]] = {}
    for check in report["checks"]:
        if check["status"] == "fail":
            found.setdefault(check["id"], set()).add(check.get("path", ""))
    return found


def test_untouched_model_with_links_and_recorded_ignores_verifies(signed: Signed, copy: Path):
    (copy / "logs" / "more.log").write_text("step 2\n")  # under the recorded ignore path
    done = verify(signed, copy)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    ids = {c["id"]: c["status"] for c in report["checks"]}
    assert ids["files"] == "pass" and ids["ignored-files"] == "warn"
    bom = json.loads((signed.bundle.parent / "bom.cdx.json").read_text())
    props = {
        c["name"]: {p["name"]: p["value"] for p in c.get("properties", [])}
        for c in model_component(bom)["components"]
    }
    assert props["latest.safetensors"]["mbom:symlink"] == "model.safetensors"
    assert props["tok"]["mbom:symlink"] == "tokenizer"
    assert props["scripts/convert.sh"]["mbom:mode"] == "0755"
    assert "mbom:mode" not in props["config.json"]


def _pyc(model: Path) -> None:
    (model / "__pycache__").mkdir()
    (model / "__pycache__" / "modeling_x.cpython-311.pyc").write_bytes(
        b"\xa7\r\r\n\x03" + b"\0" * 11
    )


def _git(model: Path) -> None:
    (model / ".git" / "hooks").mkdir(parents=True)
    (model / ".git" / "config").write_text("[core]\n\tfsmonitor = touch /tmp/pwned\n")
    (model / ".git" / "hooks" / "post-checkout").write_text("#!/bin/sh\n")
    (model / ".git" / "hooks" / "post-checkout").chmod(0o755)


def _fifo(model: Path) -> None:
    os.mkfifo(model / "pipe")


def _socket(model: Path) -> None:
    path = model / "sock"
    if len(str(path)) > 100:
        pytest.skip("socket path too long for AF_UNIX")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()


def _device(model: Path) -> None:
    try:
        os.mknod(model / "null", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("cannot create a device node here")


def _escaping_link(model: Path) -> None:
    os.symlink("/etc/passwd", model / "evil.bin")


def _dir_to_outside_link(model: Path) -> None:
    outside = model.parent / f"{model.name}-outside"
    shutil.copytree(model / "tokenizer", outside)
    shutil.rmtree(model / "tokenizer")
    os.symlink(outside, model / "tokenizer")


def _dir_to_inside_link(model: Path) -> None:
    shutil.copytree(model / "tokenizer", model / "other")
    shutil.rmtree(model / "tokenizer")
    os.symlink("other", model / "tokenizer")


def _bad_name(model: Path) -> None:
    with open(os.fsencode(model) + b"/caf\xe9.bin", "wb") as handle:
        handle.write(b"x")


def _setuid(model: Path) -> None:
    (model / "config.json").chmod(0o4755)


def _new_exec(model: Path) -> None:
    (model / "config.json").chmod(0o755)


def _code_in_ignored(model: Path) -> None:
    (model / "logs" / "sitecustomize.py").write_text("import os\n")


def _exec_in_ignored(model: Path) -> None:
    (model / "logs" / "run").write_text("#!/bin/sh\n")
    (model / "logs" / "run").chmod(0o755)


#: tampering -> (check id that must fail, the path it must name)
ATTACKS: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "pyc-beside-remote-code": (_pyc, "extra-file", "__pycache__/modeling_x.cpython-311.pyc"),
    "planted-git": (_git, "extra-file", ".git/config"),
    "fifo": (_fifo, "special-file", "pipe"),
    "socket": (_socket, "special-file", "sock"),
    "device": (_device, "special-file", "null"),
    "escaping-symlink": (_escaping_link, "symlink-escape", "evil.bin"),
    "dir-to-outside-symlink": (_dir_to_outside_link, "symlink-escape", "tokenizer"),
    "dir-to-inside-symlink": (_dir_to_inside_link, "symlink", "tokenizer"),
    "non-utf8-name": (_bad_name, "file-name", "caf\\xe9.bin"),
    "setuid-bit": (_setuid, "file-mode", "config.json"),
    "new-exec-bit": (_new_exec, "file-mode", "config.json"),
    "code-under-recorded-ignore": (_code_in_ignored, "unverified-code", "logs/sitecustomize.py"),
    "exec-under-recorded-ignore": (_exec_in_ignored, "unverified-code", "logs/run"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_tampering_fails_with_the_path(signed: Signed, copy: Path, attack: str) -> None:
    tamper, check_id, path = ATTACKS[attack]
    tamper(copy)
    done = verify(signed, copy)
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["verified"] is False
    assert path in failing(report).get(check_id, set()), failing(report)


def test_every_format_gives_a_full_report(signed: Signed, copy: Path) -> None:
    """All on-disk tamperings at once: each format exits 1 and names every path."""
    for name in ("pyc-beside-remote-code", "fifo", "escaping-symlink", "non-utf8-name"):
        ATTACKS[name][0](copy)
    _setuid(copy)
    paths = ["__pycache__/modeling_x.cpython-311.pyc", "pipe", "evil.bin", "caf\\xe9.bin"]
    paths.append("config.json")
    for fmt in ("json", "text", "sarif", "junit"):
        done = verify(signed, copy, fmt)
        assert done.returncode == 1, (fmt, done.stderr)
        assert done.stderr == "" or "error" not in done.stderr, done.stderr
        if fmt in ("json", "sarif"):
            json.loads(done.stdout)
        if fmt == "junit":
            ET.fromstring(done.stdout)
        for path in paths:
            shown = json.dumps(path)[1:-1] if fmt in ("json", "sarif") else path
            assert shown in done.stdout, (fmt, path)


def _nobody_can_run_mbom() -> bool:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return False
    return mbom_cli("--help", user="65534").returncode == 0


@pytest.mark.skipif(not _nobody_can_run_mbom(), reason="needs root, setpriv and a readable tree")
def test_unreadable_file_and_directory_fail(signed: Signed, copy: Path) -> None:
    """Tests run as root, for whom permission bits do not apply: verify runs as nobody."""
    for path in [copy, *copy.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    (copy / "scripts" / "convert.sh").chmod(0o755)
    (copy / "model.safetensors").chmod(0o000)
    (copy / "tokenizer").chmod(0o000)
    done = verify(signed, copy, user="65534")
    assert done.returncode == 1, done.stdout + done.stderr
    found = failing(json.loads(done.stdout))
    assert {"model.safetensors", "tokenizer/"} <= found["unreadable-file"], found


def test_mbomignore_cannot_hide_code(signed: Signed, tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(signed.model, model, symlinks=True)
    _pyc(model)
    for pattern in ("__pycache__/", "*.pyc", "*.py", "scripts/"):
        (model / ".mbomignore").write_text(f"logs/\n{pattern}\n")
        done = mbom_cli(
            "generate",
            "--model",
            str(model),
            "--no-environment",
            "-o",
            str(tmp_path / "b.cdx.json"),
        )
        assert done.returncode == 2, (pattern, done.stderr)
        assert repr(pattern) in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "b.cdx.json").exists()


def test_hash_and_generate_still_refuse_such_input(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "w.bin").write_bytes(b"w")
    os.mkfifo(model / "pipe")
    for argv in (("hash", str(model)), ("generate", "--model", str(model), "--no-environment")):
        done = mbom_cli(*argv, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert "pipe" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_single_file_model_replaced_by_a_fifo_fails_without_blocking(tmp_path: Path) -> None:
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(MODEL["model.safetensors"])
    out = tmp_path / "out"
    out.mkdir()
    _bom, bundle, pub = generate_and_sign(weights, out)
    weights.unlink()
    os.mkfifo(weights)  # opening it for reading would block until a writer comes
    done = mbom_cli(
        "verify", str(weights), "--bundle", str(bundle), "--key", str(pub), "--format", "json"
    )
    assert done.returncode == 1, done.stderr
    assert "model.safetensors" in failing(json.loads(done.stdout))["special-file"]
