"""Record a PyTorch Lightning ``Trainer.fit`` run with :func:`mbom.record`.

Usage::

    from mbom.integrations.lightning import MbomLightningCallback

    trainer = L.Trainer(max_epochs=3, callbacks=[
        ModelCheckpoint(dirpath="ckpt", monitor="val_loss", save_top_k=-1),
        MbomLightningCallback("out/bom.cdx.json", sign_key="release.pem"),
    ])
    trainer.fit(model, train_loader, val_loader)

What is recorded: the module's ``hparams`` (``save_hyperparameters()``) at the start; one
step for every checkpoint file the trainer writes (hooked at the trainer's ``CheckpointIO``,
so each file is hashed right after it is complete) with its global step, epoch and the
logged metrics; ``ModelCheckpoint``'s best path, monitored metric and score; and the last
written checkpoint as the model (``model=`` to choose another). A fit resumed with
``ckpt_path=`` continues the chain of the BOM at the output path. Only global rank zero
records. Needs ``pip install 'mbom[lightning]'``; importing this module imports lightning.

Verified resume after a crash (docs/recovery.md)::

    callback = MbomLightningCallback("bom.cdx.json", sign_key="release.pem", resume="auto")
    trainer = L.Trainer(..., callbacks=[checkpointing, callback])
    trainer.fit(model, loader, ckpt_path=callback.ckpt_path())   # None: from scratch

``ckpt_path()`` recovers from the run journal before Lightning loads anything and names the
newest checkpoint file whose bytes verify; one that does not verify is refused with the reason.
"""

from __future__ import annotations

import os
from typing import Any

import lightning
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.plugins.io import CheckpointIO

__all__ = ["MbomLightningCallback"]


class MbomLightningCallback(Callback):
    """A Lightning ``Callback``; ``options`` go to :func:`mbom.record`."""

    def __init__(self, output: str | os.PathLike[str] = "bom.cdx.json", **options: Any) -> None:
        self.output = output
        self.options = options
        self.run: Any = None
        self._trainer: Any = None

    def setup(self, trainer: Any, pl_module: Any, stage: str) -> None:
        strategy = trainer.strategy
        if stage == "fit" and not isinstance(strategy.checkpoint_io, _RecordingIO):
            strategy.checkpoint_io = _RecordingIO(strategy.checkpoint_io, self)
        self._trainer = trainer

    def ckpt_path(self) -> str | None:
        """Start the run now (``resume="auto"``): the verified checkpoint file to pass to
        ``Trainer.fit(ckpt_path=...)``, or None to start from scratch. Call it on rank zero
        only (other ranks take the path rank zero found)."""
        import mbom

        self.run = mbom.record(self.output, **self.options)
        self.run.start()
        return None if self.run.resumed is None else self.run.resumed.path

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        if not trainer.is_global_zero:
            return
        if self.run is not None:  # started by ckpt_path(): add the hyperparameters now
            self.run.update_config(dict(pl_module.hparams))
        else:
            import mbom

            options = dict(self.options)
            if trainer.ckpt_path and "resume" not in options:
                options.setdefault("resume_from", trainer.ckpt_path)
            self.run = mbom.record(self.output, config=dict(pl_module.hparams), **options)
            self.run.start()
        self.run.add_property("mbom:training:framework", f"lightning {lightning.__version__}")

    def saved(self, path: str, checkpoint: dict[str, Any]) -> None:
        """Called by the wrapped CheckpointIO once ``path`` is written."""
        if self.run is None:
            return
        metrics = dict(self._trainer.callback_metrics) if self._trainer is not None else {}
        metrics["epoch"] = checkpoint.get("epoch")
        self.run.checkpoint(path, step=checkpoint.get("global_step"), metrics=metrics)

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        if self.run is None:
            return
        best = trainer.checkpoint_callback
        if best is not None and getattr(best, "best_model_path", ""):
            score = best.best_model_score
            self.run.mark_best(
                best.best_model_path,
                metric=best.monitor,
                score=None if score is None else float(score),
            )
        self.run.finish()


class _RecordingIO(CheckpointIO):
    """The trainer's CheckpointIO, telling the callback about every file it has written."""

    def __init__(self, inner: Any, callback: MbomLightningCallback) -> None:
        self.inner = inner
        self.callback = callback

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: Any, storage_options: Any = None
    ) -> None:
        self.inner.save_checkpoint(checkpoint, path, storage_options=storage_options)
        self.callback.saved(os.fspath(path), checkpoint)

    def load_checkpoint(self, path: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self.inner.load_checkpoint(path, *args, **kwargs)

    def remove_checkpoint(self, path: Any) -> None:
        self.inner.remove_checkpoint(path)

    def teardown(self) -> None:
        self.inner.teardown()
