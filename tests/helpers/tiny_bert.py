"""A tiny CPU BERT classifier and its dataset for the real Transformers ``Trainer`` runs
(the integration test and the kill-and-resume script): seconds to train, a few KiB saved.

Importing this module imports torch and transformers: callers check they are installed.
"""

from __future__ import annotations

import torch
import transformers


class Pairs(torch.utils.data.Dataset):
    """``count`` fixed random 6-token sequences, labelled by their first token's parity."""

    def __init__(self, count: int) -> None:
        generator = torch.Generator().manual_seed(0)
        self.ids = torch.randint(1, 30, (count, 6), generator=generator)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> dict:
        ids = self.ids[index]
        return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": int(ids[0]) % 2}


def tiny_bert() -> transformers.BertForSequenceClassification:
    """One layer, hidden size 8, two labels."""
    config = transformers.BertConfig(
        vocab_size=32,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=16,
        num_labels=2,
    )
    return transformers.BertForSequenceClassification(config)
