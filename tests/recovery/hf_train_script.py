"""A tiny CPU Transformers ``Trainer`` run under ``MbomCallback(resume="auto")``, killed and
restarted by the tests: ``python hf_train_script.py RUN_DIR STEPS KEY.pem``."""

from __future__ import annotations

import sys

import torch
import transformers

from mbom.integrations.transformers import MbomCallback


class Pairs(torch.utils.data.Dataset):
    def __init__(self, count: int) -> None:
        self.ids = torch.randint(1, 30, (count, 6), generator=torch.Generator().manual_seed(0))

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> dict:
        ids = self.ids[index]
        return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": int(ids[0]) % 2}


def main(run_dir: str, steps: int, key: str) -> None:
    config = transformers.BertConfig(
        vocab_size=32,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=16,
        num_labels=2,
    )
    model = transformers.BertForSequenceClassification(config)
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
