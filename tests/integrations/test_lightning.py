"""A real (tiny, CPU) PyTorch Lightning fit recorded by MbomLightningCallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip(
    "torch", reason="needs torch==2.13.0 (CPU) and lightning: pip install 'mbom[lightning]'"
)
L = pytest.importorskip("lightning", reason="needs pip install 'mbom[lightning]'")

from lightning.pytorch.callbacks import ModelCheckpoint  # noqa: E402

from mbom.attest import write_key_pair  # noqa: E402
from mbom.capture.checkpoints import inspect_checkpoint  # noqa: E402
from mbom.hashing import hash_tree  # noqa: E402
from mbom.integrations.lightning import MbomLightningCallback  # noqa: E402
from tests.generate.conftest import run_mbom  # noqa: E402
from tests.integrations.verifying import assert_verified  # noqa: E402


def props(item: dict) -> dict[str, str]:
    return {p["name"]: p["value"] for p in item.get("properties", [])}


class Regressor(L.LightningModule):
    def __init__(self, lr: float = 0.05, hidden: int = 4) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(torch.nn.Linear(3, hidden), torch.nn.Linear(hidden, 1))

    def training_step(self, batch, _):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, _):
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def loader() -> torch.utils.data.DataLoader:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(16, 3, generator=generator)
    data = torch.utils.data.TensorDataset(x, x.sum(dim=1, keepdim=True))
    return torch.utils.data.DataLoader(data, batch_size=8)


def test_lightning_fit_writes_a_signed_bom_of_every_checkpoint(tmp_path: Path) -> None:
    L.seed_everything(0)
    key, public = write_key_pair(tmp_path / "release")
    checkpoints = ModelCheckpoint(
        dirpath=tmp_path / "ckpt", monitor="val_loss", save_top_k=-1, filename="{epoch}-{step}"
    )
    recorder = MbomLightningCallback(tmp_path / "bom.cdx.json", sign_key=key, packages=False)
    trainer = L.Trainer(
        max_epochs=3,
        accelerator="cpu",
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[checkpoints, recorder],
        default_root_dir=tmp_path,
    )
    trainer.fit(Regressor(), loader(), loader())
    result = recorder.run.result
    bom = json.loads(result.bom.read_text())
    steps = [props(s) for s in bom["formulation"][0]["workflows"][0]["steps"]]
    assert [s["mbom:checkpoint:step"] for s in steps] == ["2", "4", "6"]
    saved = sorted((tmp_path / "ckpt").glob("*.ckpt"), key=lambda p: p.stat().st_mtime_ns)
    assert [Path(s["mbom:checkpoint:path"]).name for s in steps] == [p.name for p in saved]
    for step, path in zip(steps, saved):
        assert step["mbom:checkpoint:sha256"] == hash_tree(path).files[0].digests["sha256"]
        assert inspect_checkpoint(path).safe_to_load, path  # a real Lightning checkpoint
        assert "mbom:metric:val_loss" in step and "mbom:metric:epoch" in step
    assert steps[2]["mbom:checkpoint:parent"] == steps[1]["mbom:checkpoint:sha256"]
    best = [s for s in steps if s.get("mbom:checkpoint:best") == "true"]
    assert len(best) == 1 and best[0]["mbom:checkpoint:best-metric"] == "val_loss"
    parameters = {
        p["name"]: p["value"]
        for p in bom["formulation"][0]["workflows"][0]["inputs"][-1]["parameters"]
    }
    assert parameters == {"hidden": "4", "lr": "0.05"}
    assert run_mbom("validate", str(result.bom)).returncode == 0
    assert_verified(Path(steps[-1]["mbom:checkpoint:path"]), result.bundle, public)
