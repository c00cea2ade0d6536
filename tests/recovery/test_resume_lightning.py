"""MbomLightningCallback.ckpt_path(): a fit that died, its newest checkpoint file corrupted,
resumed from the previous verified one in the same chain."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="needs torch==2.13.0 (CPU): pip install 'mbom[lightning]'")
L = pytest.importorskip("lightning", reason="needs pip install 'mbom[lightning]'")

from lightning.pytorch.callbacks import ModelCheckpoint  # noqa: E402

from mbom.attest import write_key_pair  # noqa: E402
from mbom.integrations.lightning import MbomLightningCallback  # noqa: E402
from tests.integrations.test_lightning import Regressor, loader  # noqa: E402
from tests.recovery.helpers import bom_chain, digest, journal_events  # noqa: E402


def _fit(tmp_path: Path, key: Path, epochs: int, *, die: bool) -> MbomLightningCallback:
    callback = MbomLightningCallback(
        tmp_path / "bom.cdx.json",
        sign_key=key,
        environment=False,
        git_dir=None,
        resume="auto",
        run_dir=tmp_path,
    )
    checkpoints = ModelCheckpoint(
        dirpath=tmp_path / "ckpt", save_top_k=-1, filename="{epoch}-{step}", monitor=None
    )
    trainer = L.Trainer(
        max_epochs=epochs,
        accelerator="cpu",
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[checkpoints, callback],
    )
    ckpt_path = callback.ckpt_path()
    if die:
        callback.on_fit_end = lambda *args: None  # the run never finishes: no BOM
    trainer.fit(Regressor(), loader(), loader(), ckpt_path=ckpt_path)
    return callback


def test_a_fit_resumes_from_the_newest_verified_checkpoint_file(tmp_path: Path) -> None:
    L.seed_everything(0)
    key, _public = write_key_pair(tmp_path / "k")
    first = _fit(tmp_path, key, 3, die=True)  # "dies": no BOM written
    assert first.run.resumed is None and not (tmp_path / "bom.cdx.json").exists()
    newest = tmp_path / "ckpt" / "epoch=2-step=6.ckpt"
    data = bytearray(newest.read_bytes())
    data[len(data) // 2] ^= 0x01
    newest.write_bytes(bytes(data))
    second = _fit(tmp_path, key, 4, die=False)
    assert second.run.resumed.step == 4
    assert second.run.resumed.path.endswith("epoch=1-step=4.ckpt")
    chain = bom_chain(tmp_path / "bom.cdx.json")
    assert [int(s["mbom:checkpoint:step"]) for s in chain] == [2, 4, 6, 8]
    for before, after in pairwise(chain):
        assert after["mbom:checkpoint:parent"] == digest(before)
    [recovery] = [
        e for _, e in journal_events(tmp_path / "bom.journal.jsonl") if e["action"] == "recovery"
    ]
    assert [(s["step"], s["reason"]) for s in recovery["skipped"]] == [(6, "altered")]
    assert json.loads((tmp_path / "bom.cdx.json").read_text())["metadata"]["component"]
