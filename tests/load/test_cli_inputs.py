"""Hostile structured input through every command that reads it (issue #10, items 7 and 9).

A key given twice, a "billion laughs", JSON nested 100,000 deep and a 5,000-digit integer,
each in the file kind a command reads: policy, mbom.yaml, config YAML/JSON/TOML, model card
front matter, Hugging Face config.json, BOM, bundle, proof, log line, log event. A user's input
is an input error (exit 2, one line, no traceback); a bundle given to ``verify`` or ``audit``
is the attacker's, so it is a failing ``bundle`` check in a full report (exit 1). Timing is
not asserted: the subprocess timeout (60 s) is far above what the bounded loader needs.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mbom.load import MAX_ALIAS_NODES, MAX_DEPTH
from tests.helpers.cli import run_cli
from tests.helpers.reports import failures
from tests.load.test_strict_load import BILLION_LAUGHS

DEEP = "[" * 100_000 + "]" * 100_000
HUGE = "9" * 5000


def mbom(*args: object) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=60)


def input_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A key, a model with a dataset, its BOM, bundle and an inclusion proof, all via the CLI."""
    base = tmp_path_factory.mktemp("inputs")
    for args in (
        ("keygen", base / "k"),
        ("generate", "--model", write(base / "model" / "w.bin", "weights").parent,
         "--dataset", "train=" + str(write(base / "data" / "a.txt", "a").parent),
         "--no-environment", "-o", base / "bom.cdx.json"),
        ("sign", base / "bom.cdx.json", "--key", base / "k.pem"),
        ("prove", base / "data" / "a.txt", "--bom", base / "bom.cdx.json",
         "-o", base / "proof.json"),
    ):  # fmt: skip
        result = mbom(*args)
        assert result.returncode == 0, result.stderr
    return {
        "base": base,
        "model": base / "model",
        "bom": base / "bom.cdx.json",
        "bundle": base / "bom.cdx.json.sigstore.json",
        "pub": base / "k.pub",
        "proof": base / "proof.json",
    }


def with_duplicate(document_text: str, key: str, value: str) -> str:
    """The JSON object text with ``"key": value`` given a second time, first."""
    assert document_text.lstrip().startswith("{")
    return "{" + f'"{key}": {value}, ' + document_text.lstrip()[1:]


# --- duplicate keys, every kind --------------------------------------------------------------

YAML_DUPLICATE = "name: first\nversion: '1'\nname: second\n"


@pytest.mark.parametrize(
    ("file", "text"),
    [
        ("train.yaml", "lr: 0.1\nepochs: 3\nlr: 10\n"),
        ("train.json", '{"lr": 0.1, "epochs": 3, "lr": 10}'),
        ("train.toml", "lr = 0.1\nepochs = 3\nlr = 10\n"),
    ],
)
def test_duplicate_key_in_a_config(made: dict[str, Path], file: str, text: str) -> None:
    config = write(made["base"] / "dup" / file, text)
    result = mbom("generate", "--model", made["model"], "--config", config, "-o", "-")
    needle = "Cannot overwrite a value" if file.endswith(".toml") else "duplicate key 'lr'"
    input_error(result, file, needle)


def test_duplicate_key_in_mbom_yaml(made: dict[str, Path], tmp_path: Path) -> None:
    request = write(tmp_path / "mbom.yaml", f"model: {made['model']}\n" + YAML_DUPLICATE)
    input_error(mbom("generate", "-f", request), "mbom.yaml", "line 4", "duplicate key 'name'")


@pytest.mark.parametrize(
    ("file", "text", "where"),
    [
        ("README.md", "---\nlicense: mit\ntags: [a]\nlicense: apache-2.0\n---\n# m\n", "line 4"),
        ("config.json", '{"model_type": "bert", "model_type": "gpt2"}', "duplicate key"),
    ],
)
def test_duplicate_key_in_model_metadata(tmp_path: Path, file: str, text: str, where: str) -> None:
    model = write(tmp_path / "m" / "w.bin", "w").parent
    write(model / file, text)
    input_error(mbom("generate", "--model", model, "-o", tmp_path / "b.json"), file, where)


def test_duplicate_key_in_a_bom(made: dict[str, Path], tmp_path: Path) -> None:
    text = with_duplicate(made["bom"].read_text(), "serialNumber", '"urn:uuid:evil"')
    bom = write(tmp_path / "dup.cdx.json", text)
    for command in ("inspect", "validate"):
        input_error(mbom(command, bom), "duplicate key 'serialNumber'")
    input_error(mbom("diff", made["bom"], bom), "duplicate key 'serialNumber'")
    input_error(mbom("check-proof", made["proof"], "--bom", bom), "duplicate key")


def test_duplicate_key_in_a_proof(made: dict[str, Path], tmp_path: Path) -> None:
    proof = write(tmp_path / "p.json", with_duplicate(made["proof"].read_text(), "index", "0"))
    input_error(mbom("check-proof", proof, "--bom", made["bom"]), "duplicate key 'index'")


def test_duplicate_key_in_a_bundle_is_a_reported_failure(
    made: dict[str, Path], tmp_path: Path
) -> None:
    text = with_duplicate(made["bundle"].read_text(), "mediaType", '"x"')
    bundle = write(tmp_path / "dup.sigstore.json", text)
    for command in ("verify", "audit"):
        result = mbom(command, made["model"], "--bundle", bundle, "--key", made["pub"],
                      "--format", "json")  # fmt: skip
        assert result.returncode == 1, (command, result.stderr)
        report = json.loads(result.stdout)
        failing = failures(report)
        assert [c["id"] for c in failing] == ["bundle"]
        assert "duplicate key 'mediaType'" in failing[0]["message"]
    input_error(mbom("inspect", bundle), "duplicate key 'mediaType'")
    input_error(mbom("lineage", bundle, "--key", made["pub"]), "duplicate key 'mediaType'")


def test_duplicate_key_in_a_log_line_and_event(made: dict[str, Path], tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    assert mbom("log", "append", log, "--event", '{"step": 1}').returncode == 0
    assert mbom("log", "append", log, "--event", '{"step": 2}').returncode == 0
    lines = log.read_bytes().splitlines(keepends=True)
    lines[0] = b'{"kind":"event",' + lines[0][1:]  # the key "kind" now appears twice
    log.write_bytes(b"".join(lines))
    result = mbom("log", "verify", log)
    assert result.returncode in (1, 2) and "Traceback" not in result.stderr
    assert "duplicate key 'kind'" in result.stdout + result.stderr
    event = mbom("log", "append", log, "--event", '{"user": "a", "user": "b"}')
    input_error(event, "duplicate key 'user'")


def test_duplicate_key_in_a_dataset_manifest_line(tmp_path: Path) -> None:
    from mbom.bom.datasets import read_manifest
    from mbom.errors import MalformedFileError

    line = '{"path": "a.txt", "size": 1, "digest": "%s", "path": "b.txt"}\n' % ("0" * 64)
    manifest = write(tmp_path / "m.jsonl", line)
    with pytest.raises(MalformedFileError, match=r"m\.jsonl:1: bad manifest line: .*'path'"):
        read_manifest(str(manifest), None)


# --- billion laughs --------------------------------------------------------------------------

BOMB_NEEDLE = f"aliases expand to more than {MAX_ALIAS_NODES} values"


def test_billion_laughs_in_a_policy(made: dict[str, Path], tmp_path: Path) -> None:
    policy = write(
        tmp_path / "policy.yaml", "rules: {}\nx:\n  " + BILLION_LAUGHS.replace("\n", "\n  ")
    )
    args = ("verify", made["model"], "--bundle", made["bundle"], "--key", made["pub"])
    input_error(mbom(*args, "--policy", policy, "--format", "json"), "policy.yaml", BOMB_NEEDLE)


def test_billion_laughs_in_mbom_yaml_config_and_card(made: dict[str, Path], tmp_path: Path) -> None:
    request = write(tmp_path / "mbom.yaml", f"model: {made['model']}\n" + BILLION_LAUGHS)
    input_error(mbom("generate", "-f", request), "mbom.yaml", BOMB_NEEDLE)
    config = write(tmp_path / "bomb.yaml", BILLION_LAUGHS)
    result = mbom("generate", "--model", made["model"], "--config", config, "-o", "-")
    input_error(result, "bomb.yaml", BOMB_NEEDLE)
    model = write(tmp_path / "m" / "w.bin", "w").parent
    write(model / "README.md", "---\n" + BILLION_LAUGHS + "\n---\n# card\n")
    input_error(mbom("generate", "--model", model, "-o", tmp_path / "b.json"), BOMB_NEEDLE)


# --- JSON nested 100,000 deep ----------------------------------------------------------------

DEPTH_NEEDLE = f"nested deeper than {MAX_DEPTH} levels"


def test_deep_json_as_a_bom_or_proof(made: dict[str, Path], tmp_path: Path) -> None:
    deep = write(tmp_path / "deep.json", DEEP)
    deep_bom = write(tmp_path / "deep.cdx.json", '{"bomFormat": "CycloneDX", "x": ' + DEEP + "}")
    input_error(mbom("inspect", deep), DEPTH_NEEDLE)
    input_error(mbom("validate", deep_bom), DEPTH_NEEDLE)
    input_error(mbom("diff", made["bom"], deep_bom), DEPTH_NEEDLE)
    input_error(mbom("lineage", deep_bom), DEPTH_NEEDLE)
    input_error(mbom("check-proof", deep, "--bom", made["bom"]), DEPTH_NEEDLE)
    input_error(mbom("check-proof", made["proof"], "--bom", deep_bom), DEPTH_NEEDLE)
    input_error(mbom("log", "append", tmp_path / "l.log", "--event-file", deep), DEPTH_NEEDLE)
    policy = write(tmp_path / "policy.json", '{"rules": {}, "x": ' + DEEP + "}")
    args = ("verify", made["model"], "--bundle", made["bundle"], "--key", made["pub"])
    input_error(mbom(*args, "--policy", policy), DEPTH_NEEDLE)


def test_deep_json_as_a_bundle_is_a_reported_failure(made: dict[str, Path], tmp_path: Path) -> None:
    bundle = write(tmp_path / "deep.sigstore.json", DEEP)
    for command in ("verify", "audit"):
        for fmt in ("json", "sarif", "junit") if command == "verify" else ("json",):
            result = mbom(command, made["model"], "--bundle", bundle, "--key", made["pub"],
                          "--format", fmt)  # fmt: skip
            assert result.returncode == 1, (command, fmt, result.stderr)
            assert DEPTH_NEEDLE in result.stdout and "Traceback" not in result.stderr
    both = mbom("verify", made["model"], "--bundle", made["bundle"], "--bundle", bundle,
                "--key", made["pub"], "--format", "json")  # fmt: skip
    assert both.returncode == 1
    checks = json.loads(both.stdout)["checks"]
    assert checks[0]["id"] == "bundle" and checks[0]["status"] == "fail"
    assert not [c for c in checks[1:] if c["status"] == "fail"]  # the good bundle still verifies


# --- integers over 4,300 digits --------------------------------------------------------------

INT_NEEDLE = "an integer has more than 4300 digits"


def test_huge_integer_everywhere(made: dict[str, Path], tmp_path: Path) -> None:
    bom = write(tmp_path / "int.cdx.json", '{"bomFormat": "CycloneDX", "version": ' + HUGE + "}")
    input_error(mbom("inspect", bom), INT_NEEDLE)
    for name, text in (
        ("c.json", '{"a": ' + HUGE + "}"),
        ("c.yaml", f"a: {HUGE}\n"),
        ("c.toml", f"a = {HUGE}\n"),
    ):
        config = write(tmp_path / name, text)
        result = mbom("generate", "--model", made["model"], "--config", config, "-o", "-")
        input_error(result, name, INT_NEEDLE)
    policy = write(tmp_path / "p.yaml", f"rules:\n  minSigners: {HUGE}\n")
    trust = ("--key", made["pub"])
    result = mbom("verify", made["model"], "--bundle", made["bundle"], *trust, "--policy", policy)
    input_error(result, INT_NEEDLE)
    bundle = write(tmp_path / "int.sigstore.json", '{"mediaType": ' + HUGE + "}")
    result = mbom("verify", made["model"], "--bundle", bundle, *trust, "--format", "json")
    assert result.returncode == 1 and INT_NEEDLE in result.stdout, result.stderr
