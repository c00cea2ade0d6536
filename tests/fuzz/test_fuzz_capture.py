"""Fuzz what ``generate`` reads from a model and a run: training configs (YAML/JSON/TOML), a
transformers config.json, a model card's front matter, checkpoint headers (safetensors, ONNX,
GGUF), then the BOM writer that turns their values into JSON.

Library level: each parser returns or raises an :class:`MbomError`. CLI level: ``generate``
with a hostile file in the model writes a complete BOM (it must load and validate) or none.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import budget
from tests.fuzz.harness import run_checked
from tests.fuzz.mutate import (
    any_seed_mutated,
    dump_json,
    fuzz_input,
    mutated_bytes,
    mutated_json,
)
from tests.fuzz.props import parses_or_refuses
from tests.fuzz.seeds import CARD, CONFIG_JSON, TRAIN_TOML, TRAIN_YAML


def _checkpoint_seeds() -> dict[str, list[bytes]]:
    from tests.capture.test_checkpoints_gguf import gguf_bytes
    from tests.capture.test_checkpoints_onnx import model_bytes
    from tests.capture.test_checkpoints_safetensors import build

    return {
        ".safetensors": [
            build({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(8)),
            build(
                {
                    "__metadata__": {"format": "pt"},
                    "w": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, 8]},
                    "b": {"dtype": "I64", "shape": [1], "data_offsets": [8, 16]},
                },
                bytes(16),
            ),
        ],
        ".onnx": [model_bytes()],
        ".gguf": [gguf_bytes(vocab=5)],
    }


CHECKPOINTS = _checkpoint_seeds()
HF_CONFIG = {
    "architectures": ["BertForSequenceClassification"],
    "model_type": "bert",
    "_name_or_path": "acme/tiny",
    "torch_dtype": "float32",
    "hidden_size": 8,
    "id2label": {"0": "neg", "1": "pos"},
    "num_labels": 2,
}


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-capture")


def _yaml_or_json(doc, raw: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(fuzz_input(doc, [raw]), mutated_bytes([raw]))


@given(data=st.data())
@budget.LIBRARY
def test_training_configs(work: Path, data) -> None:
    import yaml

    from mbom.capture.configs import parse_config

    suffix = data.draw(st.sampled_from([".yaml", ".json", ".toml"]))
    doc = yaml.safe_load(TRAIN_YAML)
    if suffix == ".toml":
        raw = data.draw(mutated_bytes([TRAIN_TOML, TRAIN_YAML]))
    elif suffix == ".json":
        raw = data.draw(fuzz_input(doc, [json.dumps(doc).encode()]))
    else:
        raw = data.draw(_yaml_or_json(doc, TRAIN_YAML))
    path = work / f"train{suffix}"
    path.write_bytes(raw)
    record = parses_or_refuses(parse_config, path)
    if record is not None:
        json.dumps(record.data, allow_nan=False)  # JSON-compatible, as documented


@given(data=st.data())
@budget.LIBRARY
def test_hf_config_and_card(work: Path, data) -> None:
    from mbom.capture.huggingface import parse_hf_config, parse_model_card

    config = work / "config.json"
    config.write_bytes(
        data.draw(fuzz_input(HF_CONFIG, [CONFIG_JSON, json.dumps(HF_CONFIG).encode()]))
    )
    parses_or_refuses(parse_hf_config, config)
    card = work / "README.md"
    card.write_bytes(data.draw(mutated_bytes([CARD])))
    parses_or_refuses(parse_model_card, card)


@given(data=st.data())
@budget.LIBRARY
def test_checkpoint_headers(work: Path, data) -> None:
    from mbom.capture.checkpoints import inspect_checkpoint

    suffix = data.draw(st.sampled_from(sorted(CHECKPOINTS)))
    path = work / f"model{suffix}"
    path.write_bytes(data.draw(mutated_bytes(CHECKPOINTS[suffix], edits=6)))
    parses_or_refuses(inspect_checkpoint, path)


def _safetensors_header_edit(data) -> bytes:
    """Structure-aware: a well-framed safetensors file whose JSON header is mutated."""
    import struct

    header = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "__metadata__": {}}
    raw = json.dumps(data.draw(mutated_json(header))).encode()
    return struct.pack("<Q", len(raw)) + raw + bytes(8)


@given(data=st.data())
@budget.LIBRARY
def test_safetensors_header_structure(work: Path, data) -> None:
    from mbom.capture.checkpoints import inspect_checkpoint

    path = work / "structured.safetensors"
    path.write_bytes(_safetensors_header_edit(data))
    parses_or_refuses(inspect_checkpoint, path)


def _complete_bom(raw: bytes) -> None:
    from mbom.bom.validate import validate_bom

    doc = json.loads(raw)
    assert doc["bomFormat"] == "CycloneDX"
    result = validate_bom(raw)
    assert result.ok, [str(finding) for finding in result.errors][:3]


@given(data=st.data())
@budget.SLOW_CLI
def test_generate_cli(seeds, work: Path, data) -> None:
    model = work / "model"
    if model.exists():
        shutil.rmtree(model)
    shutil.copytree(seeds.model, model)
    target = data.draw(
        st.sampled_from(["config.json", "README.md", "checkpoint", "config", "parent"])
    )
    args = ["generate", "--model", str(model), "--no-environment", "--no-cache"]
    if target == "config.json":
        raw = data.draw(fuzz_input(HF_CONFIG, [CONFIG_JSON]))
        (model / "config.json").write_bytes(raw)
    elif target == "README.md":
        (model / "README.md").write_bytes(data.draw(mutated_bytes([CARD])))
    elif target == "checkpoint":
        suffix = data.draw(st.sampled_from(sorted(CHECKPOINTS)))
        raw = data.draw(mutated_bytes(CHECKPOINTS[suffix], edits=6))
        (model / f"weights{suffix}").write_bytes(raw)
    elif target == "parent":  # --parent reads a BOM or a bundle: lineage recorded in the BOM
        raw = [seeds.bundle.read_bytes(), seeds.bom.read_bytes()]
        parent = work / "parent.sigstore.json"
        parent.write_bytes(data.draw(st.one_of(mutated_bytes(raw), any_seed_mutated(raw))))
        args += ["--parent", str(parent)]
    else:
        import yaml

        suffix = data.draw(st.sampled_from([".yaml", ".json", ".toml"]))
        doc = yaml.safe_load(TRAIN_YAML)
        seed = {".yaml": TRAIN_YAML, ".json": dump_json(doc), ".toml": TRAIN_TOML}[suffix]
        config = work / f"train{suffix}"
        config.write_bytes(data.draw(_yaml_or_json(doc, seed)))
        args += ["--config", str(config)]
    out = work / "out.cdx.json"
    run_checked([*args, "-o", str(out)], output=out, complete=_complete_bom)
