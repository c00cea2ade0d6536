"""Unsafe checkpoints are caught by content and visible everywhere, through the real CLI.

Each attack of issue #10 ("A security rule that does not fire") is reproduced on a model
directory: ``mbom generate`` -> ``mbom keygen`` -> ``mbom sign`` -> ``mbom verify --policy``
with ``--format json``, which must exit 1 with a failing check naming the file. Before the
fix each of these verified (exit 0) with ``safe-to-load: true`` or a rule that never fired.
"""

from __future__ import annotations

import json
import pickle
import struct
import subprocess
from pathlib import Path

import pytest

from mbom.bom.subjects import model_component
from tests.helpers.cli import run_cli

REPO = Path(__file__).resolve().parents[2]
SAFETENSORS = struct.pack("<Q", 2) + b"{}"
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def _os_system(command: str = "echo pwned") -> bytes:
    """Protocol 0, no PROTO opcode: what a hand-written exploit looks like."""
    return b"cos\nsystem\n(S'" + command.encode() + b"'\ntR."


def _legacy_with_payload_in_fourth() -> bytes:
    """A legacy torch.save layout whose magic number is spelled as a protocol-0 LONG, so the
    exact-bytes legacy detection missed it and only the first, benign pickle was scanned."""
    sys_info = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"int": 4}}
    return b"".join(
        [
            f"L{LEGACY_MAGIC}L\n.".encode(),
            pickle.dumps(1001, protocol=2),
            pickle.dumps(sys_info, protocol=2),
            b"\x80\x02cposix\nsystem\nX\x0b\x00\x00\x00echo pwned\x85R.",
            pickle.dumps([], protocol=2),
        ]
    )


def _torch_save(path: Path, *, legacy: bool) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    torch.save(torch.nn.Linear(3, 2).state_dict(), path, _use_new_zipfile_serialization=not legacy)


def _mbom(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, env={"MBOM_KEY_PASSPHRASE": ""}, timeout=180)


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("keys")
    made = _mbom("keygen", where / "release", cwd=where)
    assert made.returncode == 0, made.stderr
    return where / "release"


def _signed_model(tmp_path: Path, key: Path, name: str, data: bytes | None) -> tuple:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "tiny"}\n')
    (model / "model.safetensors").write_bytes(SAFETENSORS)
    if data is not None:
        (model / name).write_bytes(data)
    else:
        _torch_save(model / name, legacy=name.endswith(".legacy.pt"))
    bom = tmp_path / "bom.cdx.json"
    generated = _mbom("generate", "--model", model, "-o", bom, "--no-environment", cwd=tmp_path)
    assert generated.returncode == 0, generated.stderr
    signed = _mbom("sign", bom, "--key", f"{key}.pem", cwd=tmp_path)
    assert signed.returncode == 0, signed.stderr
    return model, bom, Path(f"{bom}.sigstore.json"), generated


def _verify(tmp_path: Path, model: Path, bundle: Path, key: Path, policy: str | None) -> tuple:
    args: list[object] = ["verify", model, "--bundle", bundle, "--key", f"{key}.pub"]
    if policy is not None:
        path = tmp_path / "policy.yaml"
        path.write_text(policy)
        args += ["--policy", path]
    result = _mbom(*args, "--format", "json", cwd=tmp_path)
    return result, json.loads(result.stdout)


HIDDEN = {
    "training_args.bin": _os_system(),
    "tokenizer.model": _os_system(),
    "pytorch_model.bin": _os_system(),  # protocol 0: no 0x80 magic byte
    "legacy.bin": _legacy_with_payload_in_fourth(),
}


@pytest.mark.parametrize("name", sorted(HIDDEN))
def test_hidden_pickle_fails_forbid_flagged(tmp_path: Path, key: Path, name: str) -> None:
    model, bom, bundle, generated = _signed_model(tmp_path, key, name, HIDDEN[name])
    warning = [line for line in generated.stderr.splitlines() if name in line]
    assert len(warning) == 1 and "unsafe to load" in warning[0]
    assert "system" in warning[0]
    files = model_component(json.loads(bom.read_text()))["components"]
    props = {p["name"]: p["value"] for f in files if f["name"] == name for p in f["properties"]}
    assert props["mbom:checkpoint:safe-to-load"] == "false"
    assert "system" in props["mbom:checkpoint:dangerous-globals"]

    result, report = _verify(
        tmp_path, model, bundle, key, "rules:\n  forbidFlaggedCheckpoints: true\n"
    )
    assert result.returncode == 1, result.stderr
    failing = {(c["id"], c.get("path")) for c in report["checks"] if c["status"] == "fail"}
    assert ("policy:forbidFlaggedCheckpoints", name) in failing
    assert ("unsafe-checkpoint", name) in failing

    # Without a policy the gate still says so: a warning naming the file and the callable.
    result, report = _verify(tmp_path, model, bundle, key, None)
    assert result.returncode == 0, result.stdout
    warned = [c for c in report["checks"] if c["id"] == "unsafe-checkpoint"]
    assert [(c["status"], c["path"]) for c in warned] == [("warn", name)]
    assert "system" in warned[0]["message"]

    validated = _mbom("validate", bom, cwd=tmp_path)
    assert validated.returncode == 0
    assert any(name in line and "unsafe" in line for line in validated.stdout.splitlines())


@pytest.mark.parametrize("name", ["weights.pt", "weights.legacy.pt"])
def test_forbid_pickle_fires_on_real_torch_checkpoints(
    tmp_path: Path, key: Path, name: str
) -> None:
    # A clean torch.save state dict (zip and legacy): safe as scanned, but its format runs
    # code when loaded, which is what forbidPickle forbids. The old rule's format list named
    # formats the reader never emits, so both passed.
    model, _, bundle, generated = _signed_model(tmp_path, key, name, None)
    assert "unsafe" not in generated.stderr
    result, report = _verify(tmp_path, model, bundle, key, "rules:\n  forbidPickle: true\n")
    assert result.returncode == 1
    failing = {(c["id"], c.get("path")) for c in report["checks"] if c["status"] == "fail"}
    assert ("policy:forbidPickle", name) in failing
    assert ("unsafe-checkpoint", name) in failing
    result, report = _verify(
        tmp_path, model, bundle, key, "rules:\n  forbidFlaggedCheckpoints: true\n"
    )
    assert result.returncode == 0, [c for c in report["checks"] if c["status"] != "pass"]
    result, report = _verify(tmp_path, model, bundle, key, None)
    assert result.returncode == 0
    assert [c["status"] for c in report["checks"] if c["id"] == "unsafe-checkpoint"] == ["pass"]


def test_audit_shows_each_file_format_and_safety(tmp_path: Path, key: Path) -> None:
    model, _, bundle, _ = _signed_model(tmp_path, key, "training_args.bin", _os_system())
    audited = _mbom(
        "audit", model, "--bundle", bundle, "--key", f"{key}.pub", "--format", "json",
        cwd=tmp_path,
    )  # fmt: skip
    document = json.loads(audited.stdout)
    files = {f["path"]: f for f in document["model"]["files"]}
    assert files["training_args.bin"]["format"] == "pickle"
    assert files["training_args.bin"]["safety"] == "unsafe"
    assert "os.system" in files["training_args.bin"]["findings"]
    assert files["model.safetensors"]["format"] == "safetensors"
    assert files["model.safetensors"]["safety"] == "safe"
    assert files["config.json"]["safety"] == "safe" and files["config.json"]["format"] is None
    markdown = _mbom(
        "audit", model, "--bundle", bundle, "--key", f"{key}.pub", "--format", "markdown",
        cwd=tmp_path,
    )  # fmt: skip
    row = next(line for line in markdown.stdout.splitlines() if "training_args.bin" in line)
    assert "pickle" in row and "unsafe" in row and "os.system" in row
