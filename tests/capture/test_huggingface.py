from __future__ import annotations

import json
from pathlib import Path

import pytest

from mbom.capture.huggingface import (
    EvalMetric,
    capture_hf_model,
    first_paragraph,
    parse_dataset_card,
    parse_hf_config,
    parse_model_card,
)
from mbom.errors import InputError, MalformedFileError
from tests.helpers.minilm import minilm_model_dir

MODEL_CARD = """---
license: apache-2.0
language:
- en
- fr
datasets:
- imdb
- org/reviews
base_model: org/base-model
pipeline_tag: text-classification
library_name: transformers
tags:
- sentiment
- sentiment
model-index:
- name: my-classifier
  results:
  - task:
      type: text-classification
      name: Text Classification
    dataset:
      name: IMDB
      type: imdb
      split: test
    metrics:
    - type: accuracy
      name: Accuracy
      value: 0.93
    - type: f1
      value: 0.91
---

# my-classifier

<!-- Provide a quick summary of what the model is/does. -->

A small classifier that
tells positive from negative reviews.

It has a second paragraph.
"""

CONFIG = {
    "_name_or_path": "org/base-model",
    "architectures": ["BertForSequenceClassification"],
    "model_type": "bert",
    "torch_dtype": "float32",
    "hidden_size": 384,
    "id2label": {"0": "NEG", "1": "POS"},
    "transformers_version": "4.40.0",
    "use_cache": True,
}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_model_card(tmp_path: Path) -> None:
    card = parse_model_card(write(tmp_path / "README.md", MODEL_CARD))
    assert card.license == "apache-2.0"
    assert card.datasets == ("imdb", "org/reviews")
    assert card.base_model == ("org/base-model",)
    assert card.pipeline_tag == "text-classification"
    assert card.language == ("en", "fr")
    assert card.library_name == "transformers"
    assert card.tags == ("sentiment",)
    assert card.model_name == "my-classifier"
    assert card.metrics == (
        EvalMetric(
            task_type="text-classification",
            task_name="Text Classification",
            dataset_type="imdb",
            dataset_name="IMDB",
            dataset_config=None,
            dataset_split="test",
            metric_type="accuracy",
            metric_name="Accuracy",
            metric_value=0.93,
            verified=None,
        ),
        EvalMetric(
            task_type="text-classification",
            task_name="Text Classification",
            dataset_type="imdb",
            dataset_name="IMDB",
            dataset_config=None,
            dataset_split="test",
            metric_type="f1",
            metric_name=None,
            metric_value=0.91,
            verified=None,
        ),
    )
    assert card.description == "A small classifier that tells positive from negative reviews."


def test_base_model_list_and_no_model_index(tmp_path: Path) -> None:
    text = "---\nlicense: mit\nbase_model:\n- a/one\n- b/two\ndatasets: single\n---\nHello.\n"
    card = parse_model_card(write(tmp_path / "README.md", text))
    assert card.base_model == ("a/one", "b/two")
    assert card.datasets == ("single",)
    assert card.metrics == () and card.model_name is None
    assert card.description == "Hello."


def test_card_without_front_matter(tmp_path: Path) -> None:
    card = parse_model_card(write(tmp_path / "README.md", "# Title\n\nJust text.\n"))
    assert card.license is None and card.datasets == () and card.description == "Just text."


def test_config_json(tmp_path: Path) -> None:
    config = parse_hf_config(write(tmp_path / "config.json", json.dumps(CONFIG)))
    assert config.architectures == ("BertForSequenceClassification",)
    assert config.model_type == "bert"
    assert config.name_or_path == "org/base-model"
    assert config.torch_dtype == "float32"
    assert config.fields == {
        "hidden_size": 384,
        "transformers_version": "4.40.0",
        "use_cache": True,
    }
    assert list(config.fields) == sorted(config.fields)


def test_config_json_dtype_spelling_of_newer_transformers(tmp_path: Path) -> None:
    path = write(tmp_path / "config.json", '{"model_type": "llama", "dtype": "bfloat16"}')
    config = parse_hf_config(path)
    assert config.torch_dtype == "bfloat16"
    assert config.architectures == () and config.fields == {}


def test_capture_model_directory(tmp_path: Path) -> None:
    write(tmp_path / "config.json", json.dumps(CONFIG))
    write(tmp_path / "README.md", MODEL_CARD)
    metadata = capture_hf_model(tmp_path)
    assert metadata.config is not None and metadata.config.model_type == "bert"
    assert metadata.card is not None and metadata.card.license == "apache-2.0"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert capture_hf_model(empty).config is None
    assert capture_hf_model(empty).card is None


def test_dataset_card(tmp_path: Path) -> None:
    text = (
        "---\nlicense:\n- cc-by-4.0\n- mit\npretty_name: Reviews\n"
        "task_categories:\n- text-classification\nsize_categories: 10K<n<100K\n"
        "language: en\ntags: [reviews]\n---\n\n## Dataset\n\nMovie reviews, labelled.\n"
    )
    card = parse_dataset_card(write(tmp_path / "README.md", text))
    assert card.license == ("cc-by-4.0", "mit")
    assert card.pretty_name == "Reviews"
    assert card.task_categories == ("text-classification",)
    assert card.size_categories == ("10K<n<100K",)
    assert card.language == ("en",)
    assert card.tags == ("reviews",)
    assert card.description == "Movie reviews, labelled."


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (
            "---\nlicense: mit\ndatasets: [a, b\ntags: x\n---\nbody\n",
            r"README\.md: invalid YAML at line 4 column 5: ",
        ),
        ("\n---\nlicense: mit\n  bad: indent\n---\n", r"README\.md: invalid YAML at line 4 "),
        ("---\n- a\n- b\n---\n", r"README\.md: front matter at line 1 is not a mapping"),
        ("---\nlicense: mit\n", r"README\.md: front matter opened .* line 1 is never closed"),
        ("---\nlicense: [1, [2]]\n---\n", r"README\.md: field 'license' must be a string"),
        (
            "---\nmodel-index:\n- name: x\n  results:\n  - task: {}\n---\n",
            r"README\.md: invalid card metadata: ",
        ),
    ],
)
def test_malformed_front_matter(tmp_path: Path, text: str, pattern: str) -> None:
    path = write(tmp_path / "README.md", text)
    with pytest.raises(MalformedFileError, match=pattern) as caught:
        parse_model_card(path)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_malformed_config_json(tmp_path: Path) -> None:
    expected = r"config\.json: not valid JSON: trailing comma at line 1 column 8"
    with pytest.raises(MalformedFileError, match=expected):
        parse_hf_config(write(tmp_path / "config.json", '{"a": 1,\n}'))
    with pytest.raises(MalformedFileError, match="expected a JSON object"):
        parse_hf_config(write(tmp_path / "config.json", "[1]"))
    with pytest.raises(InputError, match="no such file"):
        parse_model_card(tmp_path / "missing" / "README.md")


def test_first_paragraph_skips_code_comments_and_tables() -> None:
    text = (
        "# T\n<!--\nmulti\nline\n-->\n```\ncode here\n```\n| a | b |\n|---|---|\n---\n"
        "  Real   prose\nline two\n# Next\nmore\n"
    )
    assert first_paragraph(text) == "Real prose line two"
    assert first_paragraph("# Only a heading\n") is None


def test_real_minilm_model_directory() -> None:
    model_dir = minilm_model_dir()
    metadata = capture_hf_model(model_dir)
    assert metadata.card is not None and metadata.config is not None
    assert metadata.card.license == "apache-2.0"
    assert metadata.card.pipeline_tag == "sentence-similarity"
    assert len(metadata.card.datasets) == 21
    assert metadata.card.description and "sentence-transformers" in metadata.card.description
    assert metadata.config.model_type == "bert"
    assert metadata.config.architectures == ("BertModel",)
