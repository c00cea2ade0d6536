"""``mbom.record`` around a plain Python loop: the chain, metrics, resume, signing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mbom
from mbom.attest import write_key_pair
from mbom.errors import InputError
from mbom.hashing import hash_tree
from tests.generate.conftest import run_mbom, write_safetensors
from tests.integrations.verifying import assert_verified


def props(item: dict) -> dict[str, str]:
    return {p["name"]: p["value"] for p in item.get("properties", [])}


def steps_of(bom: dict) -> list[dict[str, str]]:
    return [props(step) for step in bom["formulation"][0]["workflows"][0]["steps"]]


def save(directory: Path, step: int) -> Path:
    """A checkpoint directory: frozen weights, a changing optimizer state and trainer state."""
    directory.mkdir(parents=True, exist_ok=True)
    if not (directory / "model.safetensors").exists():
        write_safetensors(directory / "model.safetensors", {"w": ("F32", [16, 16])})
    (directory / "optimizer.bin").write_bytes(bytes([step % 256]) * 4096)
    (directory / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    return directory


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    return write_key_pair(tmp_path / "release")


def test_loop_records_every_checkpoint_as_a_chain_and_signs(
    tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.jsonl").write_text('{"x": 1}\n')
    out = tmp_path / "out"
    with mbom.record(
        out / "bom.cdx.json",
        name="tiny",
        config={"lr": 0.001, "optimizer": {"name": "adamw"}, "seed": 7},
        datasets=(f"train={data}",),
        base_model="org/tiny-base",
        sign_key=keys[0],
        packages=False,
    ) as run:
        for step in (1, 2, 3):
            run.checkpoint(save(out / "ckpt", step), step=step, metrics={"loss": 1.0 / step})
        run.mark_best(out / "ckpt", metric="loss", score=1 / 3)
    result = run.result
    assert result is not None and result.bundle is not None
    bom = json.loads(result.bom.read_text())
    steps = steps_of(bom)
    assert [s["mbom:checkpoint:step"] for s in steps] == ["1", "2", "3"]
    assert [json.loads(s["mbom:metric:loss"]) for s in steps] == [1.0, 0.5, 1 / 3]
    roots = [s["mbom:merkle-root:sha256"] for s in steps]
    assert len(set(roots)) == 3  # the optimizer state changed every step
    assert "mbom:checkpoint:parent" not in steps[0]
    assert [s["mbom:checkpoint:parent"] for s in steps[1:]] == roots[:2]
    assert roots[-1] == hash_tree(out / "ckpt").root()
    assert steps[-1]["mbom:checkpoint:best"] == "true"
    model = bom["metadata"]["component"]
    assert props(model)["mbom:merkle-root:sha256"] == roots[-1]
    assert model["pedigree"]["ancestors"][0]["name"] == "org/tiny-base"
    workflow = bom["formulation"][0]["workflows"][0]
    parameters = {p["name"]: p["value"] for p in workflow["inputs"][-1]["parameters"]}
    assert parameters == {"lr": "0.001", "optimizer.name": "adamw", "seed": "7"}
    assert {c["name"] for c in bom["components"] if c["type"] == "data"} == {"train"}
    assert run_mbom("validate", str(result.bom)).returncode == 0
    assert_verified(out / "ckpt", result.bundle, keys[1])


def test_resuming_keeps_the_chain(tmp_path: Path) -> None:
    output = tmp_path / "bom.cdx.json"
    with mbom.record(output, environment=False) as first:
        for step in (1, 2):
            first.checkpoint(save(tmp_path / f"ckpt-{step}", step), step=step)
        first.checkpoint(save(tmp_path / "ckpt-3", 3), step=3)  # abandoned after the resume
    with mbom.record(output, environment=False, resume_from=tmp_path / "ckpt-2") as second:
        second.checkpoint(save(tmp_path / "ckpt-3b", 33), step=3)
    steps = steps_of(json.loads(output.read_text()))
    assert [s["mbom:checkpoint:path"] for s in steps] == [
        str(tmp_path / "ckpt-1"),
        str(tmp_path / "ckpt-2"),
        str(tmp_path / "ckpt-3b"),
    ]
    assert steps[2]["mbom:checkpoint:parent"] == steps[1]["mbom:merkle-root:sha256"]


def test_resuming_without_a_previous_bom_starts_the_chain_there(tmp_path: Path) -> None:
    save(tmp_path / "ckpt-5", 5)
    with mbom.record(
        tmp_path / "b.cdx.json", environment=False, resume_from=tmp_path / "ckpt-5"
    ) as run:
        run.checkpoint(save(tmp_path / "ckpt-6", 6), step=6)
    steps = steps_of(json.loads((tmp_path / "b.cdx.json").read_text()))
    assert steps[0]["mbom:checkpoint:resumed"] == "true"
    assert steps[1]["mbom:checkpoint:parent"] == steps[0]["mbom:merkle-root:sha256"]


def test_single_file_checkpoints_record_their_digest(tmp_path: Path) -> None:
    with mbom.record(tmp_path / "b.cdx.json", environment=False) as run:
        for step in (1, 2):
            path = tmp_path / f"step{step}.bin"
            path.write_bytes(bytes([step]) * 100)
            run.checkpoint(path, step=step)
    steps = steps_of(json.loads((tmp_path / "b.cdx.json").read_text()))
    assert (
        steps[1]["mbom:checkpoint:sha256"]
        == hash_tree(tmp_path / "step2.bin").files[0].digests["sha256"]
    )
    assert steps[1]["mbom:checkpoint:parent"] == steps[0]["mbom:checkpoint:sha256"]


def test_a_failed_run_writes_nothing(tmp_path: Path) -> None:
    with (
        pytest.raises(RuntimeError),
        mbom.record(tmp_path / "b.cdx.json", environment=False) as run,
    ):
        run.checkpoint(save(tmp_path / "ckpt", 1), step=1)
        raise RuntimeError("training diverged")
    assert not (tmp_path / "b.cdx.json").exists()


def test_missing_checkpoint_is_an_input_error(tmp_path: Path) -> None:
    run = mbom.record(tmp_path / "b.cdx.json", environment=False)
    with pytest.raises(InputError, match="no such file"):
        run.checkpoint(tmp_path / "absent", step=1)
