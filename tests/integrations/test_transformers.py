"""A real (tiny, CPU) Transformers Trainer run recorded by MbomCallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip(
    "torch", reason="needs torch==2.13.0 (CPU) and transformers: pip install 'mbom[hf]'"
)
transformers = pytest.importorskip("transformers", reason="needs pip install 'mbom[hf]'")
pytest.importorskip("accelerate", reason="the Trainer needs accelerate: pip install 'mbom[hf]'")

from mbom.attest import write_key_pair  # noqa: E402
from mbom.bom.subjects import model_component  # noqa: E402
from mbom.hashing import hash_tree  # noqa: E402
from mbom.integrations.transformers import MbomCallback  # noqa: E402
from tests.generate.conftest import run_mbom  # noqa: E402
from tests.helpers.tiny_bert import Pairs, tiny_bert  # noqa: E402
from tests.integrations.verifying import assert_verified  # noqa: E402


def props(item: dict) -> dict[str, str]:
    return {p["name"]: p["value"] for p in item.get("properties", [])}


def tiny_model():
    model = tiny_bert()
    model.config._name_or_path = "org/tiny-bert"  # as if fine-tuned from a Hub model
    return model


def test_trainer_run_writes_a_signed_bom_of_every_checkpoint(tmp_path: Path) -> None:
    key, public = write_key_pair(tmp_path / "release")
    out = tmp_path / "run"
    args = transformers.TrainingArguments(
        output_dir=str(out),
        max_steps=6,
        save_steps=2,
        eval_steps=2,
        logging_steps=1,
        eval_strategy="steps",
        save_strategy="steps",
        per_device_train_batch_size=4,
        load_best_model_at_end=True,
        metric_for_best_model="eval_loss",
        report_to=[],
        use_cpu=True,
        seed=123,
        dataloader_num_workers=0,
        disable_tqdm=True,
    )
    callback = MbomCallback(sign_key=key, packages=False, name="tiny-bert-ft")
    trainer = transformers.Trainer(
        model=tiny_model(),
        args=args,
        train_dataset=Pairs(16),
        eval_dataset=Pairs(8),
        callbacks=[callback],
    )
    trainer.train()
    result = callback.run.result
    bom = json.loads(result.bom.read_text())
    steps = [props(s) for s in bom["formulation"][0]["workflows"][0]["steps"]]
    assert [s["mbom:checkpoint:step"] for s in steps] == ["2", "4", "6"]
    for step in steps:
        assert "mbom:metric:loss" in step and "mbom:metric:eval_loss" in step
        assert step["mbom:merkle-root:sha256"] == hash_tree(step["mbom:checkpoint:path"]).root()
    assert [s.get("mbom:checkpoint:parent") for s in steps[1:]] == [
        s["mbom:merkle-root:sha256"] for s in steps[:2]
    ]
    best = [s for s in steps if s.get("mbom:checkpoint:best") == "true"]
    assert len(best) == 1 and best[0]["mbom:checkpoint:best-metric"] == "eval_loss"
    model = bom["metadata"]["component"]
    assert model["name"] == "tiny-bert-ft"
    assert "org/tiny-bert" in {a["name"] for a in model["pedigree"]["ancestors"]}
    files = model_component(bom)["components"]
    assert {f["name"] for f in files} >= {
        "model.safetensors",
        "trainer_state.json",
    }
    # Every file is content-scanned (training_args.bin included) and none is flagged.
    assert [f["name"] for f in files if props(f).get("mbom:checkpoint:safe-to-load")
            == "false"] == []  # fmt: skip
    parameters = {
        p["name"]: p["value"]
        for p in bom["formulation"][0]["workflows"][0]["inputs"][-1]["parameters"]
    }
    assert parameters["seed"] == "123" and parameters["max_steps"] == "6"
    assert props(bom["metadata"])["mbom:training:seed"] == "123"
    assert run_mbom("validate", str(result.bom)).returncode == 0
    assert_verified(out / "checkpoint-6", result.bundle, public)
