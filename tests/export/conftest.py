"""BOMs to export: the demo model, MiniLM and a model with a 1,500-file dataset (sidecar)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from tests.generate.conftest import run_mbom

REPO = Path(__file__).resolve().parents[2]


def demo_writer():
    spec = importlib.util.spec_from_file_location("mbom_demo", REPO / "fixtures" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module.write_safetensors


def generate(cwd: Path, *args: str) -> Path:
    done = run_mbom(
        "generate", *args, "-o", "bom.cdx.json", cwd=cwd, env={"SOURCE_DATE_EPOCH": "1700000000"}
    )
    assert done.returncode == 0, done.stderr
    return cwd / "bom.cdx.json"


def _demo(tmp_path: Path, *extra: str) -> Path:
    shutil.copytree(REPO / "fixtures" / "demo", tmp_path / "demo")
    demo_writer()(tmp_path / "demo" / "model" / "model.safetensors")
    return generate(
        tmp_path,
        "--model", "demo/model",
        "--dataset", "mbom-demo/sentiment-sample=demo/dataset",
        "--config", "demo/train.yaml",
        "--name", "mbom-demo-classifier",
        "--version", "1.0.0",
        *extra,
    )  # fmt: skip


@pytest.fixture
def demo_bom(tmp_path: Path) -> Path:
    """The BOM `make demo` writes (demo model, its dataset and training config) without the
    environment, which SHACL takes about a minute over (~230 packages)."""
    return _demo(tmp_path, "--no-environment")


@pytest.fixture
def demo_bom_with_environment(tmp_path: Path) -> Path:
    """The BOM exactly as `make demo` writes it, the environment's packages included."""
    return _demo(tmp_path)


@pytest.fixture
def big_dataset_bom(tmp_path: Path) -> Path:
    """A model trained on a 1,500-file dataset: above the threshold, so a sidecar manifest."""
    shutil.copytree(REPO / "fixtures" / "demo" / "model", tmp_path / "model")
    demo_writer()(tmp_path / "model" / "model.safetensors")
    data = tmp_path / "shards"
    for index in range(1500):
        folder = data / f"part-{index // 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{index:05d}.txt").write_text(f"sample {index}\n")
    return generate(tmp_path, "--model", "model", "--dataset", "shards=shards", "--no-environment")


def load(path: Path) -> dict:
    return json.loads(path.read_text())
