from __future__ import annotations

import pytest

from mbom.capture.roles import ROLES, file_role


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("model.safetensors", "weights"),
        ("model-00001-of-00002.safetensors", "weights"),
        ("model.safetensors.index.json", "weights"),
        ("pytorch_model.bin", "weights"),
        ("pytorch_model.bin.index.json", "weights"),
        ("onnx/model.onnx", "weights"),
        ("onnx/model.onnx_data", "weights"),
        ("llama-7b.Q4_K_M.gguf", "weights"),
        ("tf_model.h5", "weights"),
        ("flax_model.msgpack", "weights"),
        ("model.tflite", "weights"),
        ("last.ckpt", "weights"),
        ("weights.PTH", "weights"),
        ("config.json", "config"),
        ("1_Pooling/config.json", "config"),
        ("generation_config.json", "config"),
        ("preprocessor_config.json", "config"),
        ("sentence_bert_config.json", "config"),
        ("hparams.yaml", "config"),
        ("train.yml", "config"),
        ("training_args.bin", "config"),
        ("tokenizer.json", "tokenizer"),
        ("tokenizer_config.json", "tokenizer"),
        ("special_tokens_map.json", "tokenizer"),
        ("vocab.txt", "tokenizer"),
        ("vocab.json", "tokenizer"),
        ("merges.txt", "tokenizer"),
        ("spiece.model", "tokenizer"),
        ("tokenizer.model", "tokenizer"),
        ("sentencepiece.bpe.model", "tokenizer"),
        ("README.md", "card"),
        ("readme.md", "card"),
        ("MODEL_CARD.md", "card"),
        ("modeling_custom.py", "code"),
        ("src/train.py", "code"),
        (".gitattributes", "other"),
        ("LICENSE", "other"),
        ("optimizer.pt", "other"),
        ("rng_state_3.pth", "other"),
        ("notes.json", "other"),
        (".bin", "other"),
    ],
)
def test_file_role(path: str, role: str) -> None:
    assert file_role(path) == role
    assert role in ROLES
