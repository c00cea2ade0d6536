"""A tiny CPU Transformers ``Trainer`` run under ``MbomCallback(resume="auto")``, killed and
restarted by the tests: ``python hf_train_script.py RUN_DIR STEPS KEY.pem``."""

from __future__ import annotations

import sys

import transformers

from mbom.integrations.transformers import MbomCallback
from tests.helpers.tiny_bert import Pairs, tiny_bert


def main(run_dir: str, steps: int, key: str) -> None:
    model = tiny_bert()
    args = transformers.TrainingArguments(
        output_dir=run_dir,
        max_steps=steps,
        save_steps=1,
        logging_steps=1,
        report_to=[],
        use_cpu=True,
        seed=7,
        per_device_train_batch_size=4,
    )
    callback = MbomCallback(
        sign_key=key, name="hf-kill", environment=False, git_dir=None, resume="auto"
    )
    trainer = transformers.Trainer(
        model=model, args=args, train_dataset=Pairs(16), callbacks=[callback]
    )
    trainer.train(resume_from_checkpoint=callback.resume_from_checkpoint(args, model))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
