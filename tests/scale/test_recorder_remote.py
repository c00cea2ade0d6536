"""``mbom.record`` with checkpoints written to an object store (moto's S3 server): each one is
hashed where it lives, the chain is recorded with the S3 URLs, and the final model is read
from S3 once (a private copy) for the BOM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mbom
from mbom.bom.subjects import model_component
from mbom.hashing import hash_tree
from tests.generate.conftest import write_safetensors
from tests.helpers.s3server import s3_env, s3_server  # noqa: F401  (fixtures)

pytest.importorskip("s3fs", reason="needs the s3 extra: pip install 'mbom[s3]'")


def test_checkpoints_in_s3_form_one_chain(tmp_path: Path, s3_env) -> None:  # noqa: F811
    bucket = s3_env.bucket("ckpt")
    local = tmp_path / "ckpt"
    local.mkdir()
    write_safetensors(local / "model.safetensors", {"w": ("F32", [8, 8])})
    weights = (local / "model.safetensors").read_bytes()
    roots = []
    with mbom.record(tmp_path / "out" / "bom.cdx.json", name="remote", packages=False) as run:
        for step in (1, 2):
            state = json.dumps({"global_step": step}).encode()
            (local / "trainer_state.json").write_bytes(state)
            s3_env.put(bucket, "run/ckpt/model.safetensors", weights)
            s3_env.put(bucket, "run/ckpt/trainer_state.json", state)
            run.checkpoint(f"s3://{bucket}/run/ckpt/", step=step)
            roots.append(hash_tree(local).root())
    bom = json.loads(run.result.bom.read_text())
    steps = [
        {p["name"]: p["value"] for p in s["properties"]}
        for s in bom["formulation"][0]["workflows"][0]["steps"]
    ]
    assert [s["mbom:merkle-root:sha256"] for s in steps] == roots  # the same as local copies
    assert steps[1]["mbom:checkpoint:parent"] == roots[0]
    model = bom["metadata"]["component"]
    assert {p["name"]: p["value"] for p in model["properties"]}["mbom:merkle-root:sha256"] == roots[
        1
    ]
    assert all(
        any(p["name"] == "mbom:object:versionId" for p in f["properties"])
        for f in model_component(bom)["components"]
    )
