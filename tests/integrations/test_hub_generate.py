"""``mbom generate --hf``: a real model (all-MiniLM-L6-v2) resolved offline from a Hub cache."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from mbom.bom.subjects import model_component
from tests.generate.conftest import run_mbom
from tests.helpers.minilm import minilm_model_dir
from tests.integrations.hubcache import MINILM_REVISION, build_cache

REPO = "sentence-transformers/all-MiniLM-L6-v2"


def props(component: dict) -> dict[str, str]:
    return {p["name"]: p["value"] for p in component.get("properties", [])}


@pytest.fixture
def minilm_cache(hub_cache: Path) -> Path:
    return build_cache(hub_cache, REPO, minilm_model_dir(), MINILM_REVISION)


@pytest.fixture
def dataset_cache(hub_cache: Path, tmp_path: Path) -> Path:
    source = tmp_path / "qqp"
    source.mkdir()
    (source / "README.md").write_text("---\nlicense: mit\npretty_name: QQP\n---\n\nPairs.\n")
    (source / "train.jsonl").write_text('{"a": "x", "b": "y"}\n')
    return build_cache(hub_cache, "embedding-data/QQP", source, "d" * 40, repo_type="dataset")


def generate(tmp_path: Path, *args: str) -> tuple[dict, object]:
    out = tmp_path / "bom.cdx.json"
    result = run_mbom("generate", *args, "--no-environment", "-o", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text()), result


def test_generate_hf_offline_from_the_cache(
    minilm_cache: Path, dataset_cache: Path, tmp_path: Path
) -> None:
    bom, _ = generate(tmp_path, "--hf", REPO, "--dataset", "hf://datasets/embedding-data/QQP")
    model = bom["metadata"]["component"]
    assert model["name"] == REPO
    assert model["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    assert (
        model["purl"] == f"pkg:huggingface/sentence-transformers/all-MiniLM-L6-v2@{MINILM_REVISION}"
    )
    assert props(model)["mbom:hf:revision"] == MINILM_REVISION
    assert "mbom:hf:oid-mismatches" not in props(model)
    files = {f["name"]: f for f in model_component(bom)["components"]}
    assert "1_Pooling/config.json" in files and "model.safetensors" in files
    weights = (minilm_model_dir() / "model.safetensors").read_bytes()
    assert files["model.safetensors"]["hashes"][0]["content"] == hashlib.sha256(weights).hexdigest()
    assert all(props(f)["mbom:hf:oid-match"] == "true" for f in files.values())
    assert "mbom:symlink" not in props(files["config.json"])  # hashed as the file itself
    # the Merkle root is that of the same files in a plain directory
    plain = run_mbom("hash", str(minilm_model_dir()), "--format", "json")
    assert props(model)["mbom:merkle-root:sha256"] == json.loads(plain.stdout)["root"]
    # the supplied Hub dataset is hashed, pinned to its commit; the card's others are named
    datasets = {c["name"]: c for c in bom["components"] if c["type"] == "data"}
    qqp = props(datasets["embedding-data/QQP"])
    assert qqp["mbom:hashed"] == "true"
    assert qqp["mbom:dataset:location"] == "hf://datasets/embedding-data/QQP@" + "d" * 40
    assert qqp["mbom:hf:revision"] == "d" * 40
    assert props(datasets["s2orc"])["mbom:hashed"] == "false"
    refs = {d["ref"] for d in model["modelCard"]["modelParameters"]["datasets"]}
    assert {"dataset:embedding-data/QQP", "dataset:s2orc"} <= refs
    validate = run_mbom("validate", str(tmp_path / "bom.cdx.json"))
    assert validate.returncode == 0, validate.stdout + validate.stderr


def test_branch_and_commit_resolve_to_the_same_snapshot(minilm_cache: Path, tmp_path: Path) -> None:
    bom, _ = generate(tmp_path, "--hf", f"{REPO}@main")
    assert props(bom["metadata"]["component"])["mbom:hf:requested-revision"] == "main"
    again, _ = generate(tmp_path, "--hf", f"{REPO}@{MINILM_REVISION}")
    assert props(again["metadata"]["component"])["mbom:hf:revision"] == MINILM_REVISION


def test_a_blob_that_does_not_match_its_oid_is_reported(minilm_cache: Path, tmp_path: Path) -> None:
    blob = Path(os.path.realpath(minilm_cache / "config.json"))
    blob.write_text(blob.read_text().replace("384", "385"))
    bom, result = generate(tmp_path, "--hf", REPO)
    model = bom["metadata"]["component"]
    assert json.loads(props(model)["mbom:hf:oid-mismatches"]) == ["config.json"]
    files = {f["name"]: props(f) for f in model_component(bom)["components"]}
    assert files["config.json"]["mbom:hf:oid-match"] == "false"
    assert "config.json does not match the Hub's recorded oid" in result.stderr


def test_a_model_not_in_the_cache_is_an_input_error_offline(tmp_path: Path) -> None:
    result = run_mbom("generate", "--hf", "org/absent", "-o", str(tmp_path / "b.cdx.json"))
    assert result.returncode == 2
    assert "not in the Hugging Face cache" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_malformed_reference_is_an_input_error(tmp_path: Path) -> None:
    result = run_mbom("generate", "--hf", "../etc@", "-o", str(tmp_path / "b.cdx.json"))
    assert result.returncode == 2
    assert "expected ORG/NAME" in result.stderr
