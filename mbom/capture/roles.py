"""What each file in a model directory is for: weights, config, tokenizer, card, code, other.

The BOM generator groups a model's files by role, policies can demand that every ``weights``
file is signed or that no ``code`` ships, and ``diff`` reports a changed tokenizer differently
from changed weights. The tables below are the whole rule, read top to bottom:

1. exact file names (case-insensitive), e.g. ``tokenizer_config.json`` is a tokenizer file
   although it ends in ``config.json``, and ``training_args.bin`` (pickled training
   arguments) is a config although ``.bin`` usually holds weights;
2. name patterns that must beat suffixes (``rng_state_3.pth`` is not weights);
3. the longest matching suffix, e.g. ``.safetensors.index.json`` (the shard index is part of
   the weights) before ``.json``;
4. name patterns tried last (``*config*.json``);
5. anything else is ``other``.

Optimizer, scheduler and RNG state saved beside a checkpoint (``optimizer.pt``,
``rng_state.pth``) are training state, not model weights, so they are ``other``.
"""

from __future__ import annotations

import fnmatch
import posixpath
from typing import Final, Literal, TypeAlias

Role: TypeAlias = Literal["weights", "config", "tokenizer", "card", "code", "other"]
ROLES: Final[tuple[Role, ...]] = ("weights", "config", "tokenizer", "card", "code", "other")

_BY_NAME: Final[dict[str, Role]] = {
    # cards
    "readme.md": "card",
    "model_card.md": "card",
    "modelcard.md": "card",
    # tokenizers (checked before the *config*.json pattern)
    "tokenizer.json": "tokenizer",
    "tokenizer_config.json": "tokenizer",
    "special_tokens_map.json": "tokenizer",
    "added_tokens.json": "tokenizer",
    "vocab.txt": "tokenizer",
    "vocab.json": "tokenizer",
    "merges.txt": "tokenizer",
    "chat_template.json": "tokenizer",
    "chat_template.jinja": "tokenizer",
    # configs that do not look like configs
    "training_args.bin": "config",
    "trainer_state.json": "config",
    "modules.json": "config",
    # training state that is not the model
    "optimizer.pt": "other",
    "optimizer.bin": "other",
    "scheduler.pt": "other",
    "scaler.pt": "other",
}

_BY_SUFFIX: Final[dict[str, Role]] = {
    # weights and whole serialised models
    ".safetensors": "weights",
    ".safetensors.index.json": "weights",
    ".bin.index.json": "weights",
    ".bin": "weights",
    ".pt": "weights",
    ".pth": "weights",
    ".ckpt": "weights",
    ".onnx": "weights",
    ".onnx_data": "weights",
    ".onnx.data": "weights",
    ".gguf": "weights",
    ".ggml": "weights",
    ".h5": "weights",
    ".hdf5": "weights",
    ".keras": "weights",
    ".msgpack": "weights",
    ".tflite": "weights",
    ".pb": "weights",
    ".ot": "weights",
    ".mlmodel": "weights",
    ".nemo": "weights",
    ".npz": "weights",
    ".pkl": "weights",
    ".pickle": "weights",
    ".joblib": "weights",
    ".engine": "weights",
    ".plan": "weights",
    ".llamafile": "weights",
    # configs
    ".yaml": "config",
    ".yml": "config",
    ".toml": "config",
    ".cfg": "config",
    ".ini": "config",
    # tokenizers (sentencepiece: spiece.model, tokenizer.model, sentencepiece.bpe.model)
    ".model": "tokenizer",
    ".tiktoken": "tokenizer",
    # code
    ".py": "code",
}

_PATTERNS_BEFORE_SUFFIX: Final[tuple[tuple[str, Role], ...]] = (("rng_state*.pth", "other"),)
_PATTERNS_AFTER_SUFFIX: Final[tuple[tuple[str, Role], ...]] = (("*config*.json", "config"),)

# Longest suffix first, so ".safetensors.index.json" wins over ".json".
_SUFFIXES_LONGEST_FIRST: Final = tuple(sorted(_BY_SUFFIX, key=len, reverse=True))


def file_role(relative_path: str) -> Role:
    """Classify a file of a model directory by its POSIX relative path (only the name counts)."""
    name = posixpath.basename(relative_path).lower()
    if name in _BY_NAME:
        return _BY_NAME[name]
    role = _match_pattern(name, _PATTERNS_BEFORE_SUFFIX)
    if role is not None:
        return role
    for suffix in _SUFFIXES_LONGEST_FIRST:
        if name.endswith(suffix) and len(name) > len(suffix):
            return _BY_SUFFIX[suffix]
    return _match_pattern(name, _PATTERNS_AFTER_SUFFIX) or "other"


def _match_pattern(name: str, table: tuple[tuple[str, Role], ...]) -> Role | None:
    for pattern, role in table:
        if fnmatch.fnmatchcase(name, pattern):
            return role
    return None
