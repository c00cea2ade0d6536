"""A signed model, its dataset and parent, keys and policies, made once per module."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.reports import failed_ids, failures

__all__ = ["failed_ids", "failures"]  # re-exported for the verify tests

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(os.environ.get("MBOM_SHARED_FIXTURES", REPO.parent / "shared" / "fixtures"))
FLAGGED_PICKLE = b"cos\nsystem\n(S'echo pwned'\ntR."
CARD = """---
license: apache-2.0
base_model: acme/tiny-base
pipeline_tag: text-classification
---
# tiny

A tiny test model.
"""
MODEL = {
    "model.safetensors": b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ",
    "config.json": b'{"hidden_size": 8, "model_type": "tiny"}\n',
    "tokenizer/vocab.txt": b"[PAD]\n[UNK]\nhello\n",
    "tokenizer/nested/merges.txt": b"h e\nl l\n",
    "legacy.pkl": FLAGGED_PICKLE,
    "README.md": CARD.encode(),
}
DATASET = {"train.jsonl": b'{"text": "good"}\n', "sub/eval.jsonl": b'{"text": "bad"}\n'}


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


@dataclass(frozen=True)
class Signed:
    """Everything a verify test needs; ``model`` and ``data`` are pristine (copy to tamper)."""

    base: Path
    model: Path
    data: Path
    bom: Path
    bundle: Path
    key: Path
    pub: Path
    other_pub: Path
    other_pem: Path
    parent_bundle: Path
    bad_parent_bundle: Path


def _generate(
    model: Path, out: Path, *, datasets=(), parents=(), threshold=1000, configs=()
) -> dict:
    from mbom.generate import GenerateRequest, generate, manifest_stem_for, write_bom

    request = GenerateRequest(
        model=str(model),
        datasets=tuple(datasets),
        configs=tuple(str(c) for c in configs),
        parents=tuple(str(p) for p in parents),
        environment=False,
        git_dir=None,
        packages=False,
        manifest_threshold=threshold,
    )
    built = generate(request, manifest_stem=manifest_stem_for(out), cache=False)
    write_bom(built, out)
    return built.document


def _sign(bom: dict, pem: Path, out: Path) -> Path:
    from mbom.attest import load_signing_key, sign_bom, write_bundle

    return write_bundle(sign_bom(bom, keys=[load_signing_key(pem)]), out)


@pytest.fixture(scope="session")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Signed:
    from mbom.attest.keys import write_key_pair

    base = tmp_path_factory.mktemp("signed")
    key, pub = write_key_pair(base / "release", "ecdsa-p256")
    other_pem, other_pub = write_key_pair(base / "other", "ed25519")
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"  # 2023-11-14: old enough for maxBomAge
    try:
        parent_model = write_tree(base / "parent", {"weights.bin": b"parent weights"})
        parent_bom = _generate(parent_model, base / "parent.cdx.json")
        parent_bundle = _sign(parent_bom, key, base / "parent.cdx.json.sigstore.json")
        bad_parent_bundle = _sign(parent_bom, other_pem, base / "parent-other.sigstore.json")
        model = write_tree(base / "model", MODEL)
        data = write_tree(base / "data" / "train", DATASET)
        bom = _generate(
            model, base / "bom.cdx.json", datasets=[f"train={data}"], parents=[parent_bundle]
        )
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old
    bundle = _sign(bom, key, base / "bom.cdx.json.sigstore.json")
    return Signed(
        base,
        model,
        base / "data",
        base / "bom.cdx.json",
        bundle,
        key,
        pub,
        other_pub,
        other_pem,
        parent_bundle,
        bad_parent_bundle,
    )


@pytest.fixture
def work(signed: Signed, tmp_path: Path) -> tuple[Path, Path]:
    """A fresh copy of the model and of the datasets root, free to tamper with."""
    model = tmp_path / "model"
    shutil.copytree(signed.model, model, symlinks=True)
    data = tmp_path / "data"
    shutil.copytree(signed.data, data, symlinks=True)
    return model, data


def run_mbom(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd)


def report_schema() -> dict:
    return json.loads((REPO / "schemas" / "verify-report.schema.json").read_text())


def verify_json(*args: object) -> tuple[int, dict]:
    """``mbom verify ARGS --format json``: (exit code, report), the report schema-checked."""
    import jsonschema

    result = run_mbom("verify", *args, "--format", "json")
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    jsonschema.Draft7Validator(report_schema()).validate(report)  # complete, whatever the verdict
    return result.returncode, report
