"""Record a Hugging Face Transformers ``Trainer`` run with :func:`mbom.record`.

Usage::

    from mbom.integrations.transformers import MbomCallback

    trainer = Trainer(model=model, args=args, train_dataset=train,
                      callbacks=[MbomCallback("out/bom.cdx.json", sign_key="release.pem",
                                              datasets=("hf://datasets/org/data",))])
    trainer.train()       # every checkpoint-N is recorded; the BOM is written at the end

What is recorded: ``TrainingArguments`` (every field, as hyperparameters) and the seed at the
start, ``model.config._name_or_path`` as the base model, one step per saved
``checkpoint-N`` with the metrics ``TrainerState.log_history`` has for that step, the best
checkpoint (``metric_for_best_model``), and the last checkpoint as the model. A run resumed
from a checkpoint continues the chain of the BOM at the output path. Only the main process
records. Needs ``pip install 'mbom[hf]'``; importing this module imports transformers.

Verified resume after a crash (docs/recovery.md)::

    callback = MbomCallback(sign_key="release.pem", resume="auto")
    trainer = Trainer(model=model, args=args, ..., callbacks=[callback])
    trainer.train(resume_from_checkpoint=callback.resume_from_checkpoint(args))

``resume_from_checkpoint`` recovers from the run journal before the trainer loads anything:
the newest ``checkpoint-N`` whose bytes verify (None on a fresh start); a checkpoint that does
not verify is refused with the reason.
"""

from __future__ import annotations

import os
from typing import Any

import transformers
from transformers import TrainerCallback

__all__ = ["MbomCallback"]


class MbomCallback(TrainerCallback):
    """A ``TrainerCallback``; ``options`` go to :func:`mbom.record` (``base_model`` defaults to
    the model's ``_name_or_path``, ``output`` to ``<output_dir>/bom.cdx.json``)."""

    def __init__(self, output: str | os.PathLike[str] | None = None, **options: Any) -> None:
        self.output = output
        self.options = options
        self.run: Any = None

    def resume_from_checkpoint(self, args: Any, model: Any = None) -> str | None:
        """Start the run now (``resume="auto"``): the verified checkpoint to pass to
        ``Trainer.train(resume_from_checkpoint=...)``, or None to start from scratch."""
        if args.process_index != 0:
            return None
        self._start(args, model)
        return None if self.run.resumed is None else self.run.resumed.path

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        if self.run is not None:  # started by resume_from_checkpoint
            return
        resumed = _checkpoint_dir(args, state.global_step) if state.global_step else None
        legacy = "resume" not in self.options and resumed is not None and os.path.isdir(resumed)
        self._start(args, kwargs.get("model"), resumed if legacy else None)

    def _start(self, args: Any, model: Any, resume_from: str | None = None) -> None:
        import mbom

        options = dict(self.options)
        name_or_path = getattr(getattr(model, "config", None), "_name_or_path", "")
        options.setdefault("base_model", name_or_path or None)
        if resume_from is not None:
            options.setdefault("resume_from", resume_from)
        output = self.output or os.path.join(args.output_dir, "bom.cdx.json")
        self.run = mbom.record(output, config=args.to_dict(), **options)
        self.run.start()
        self.run.add_property("mbom:training:framework", f"transformers {transformers.__version__}")
        self.run.add_property("mbom:training:seed", args.seed)

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.run is None:
            return
        metrics: dict[str, Any] = {}
        for entry in state.log_history:
            if entry.get("step") == state.global_step:
                metrics.update(entry)
        metrics.pop("step", None)
        step = state.global_step
        self.run.checkpoint(_checkpoint_dir(args, step), step=step, metrics=metrics)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.run is None:
            return
        if state.best_model_checkpoint:
            self.run.mark_best(
                state.best_model_checkpoint,
                metric=args.metric_for_best_model,
                score=state.best_metric,
            )
        self.run.finish()


def _checkpoint_dir(args: Any, step: int) -> str:
    from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

    return os.path.join(args.output_dir, f"{PREFIX_CHECKPOINT_DIR}-{step}")
