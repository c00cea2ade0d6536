"""Metadata of a model or dataset directory in the Hugging Face layout.

A BOM's model card (licence, datasets, base model, evaluation results) is best taken from what
the model's authors already published: ``config.json`` and the ``README.md`` card with YAML
front matter. Cards are read with huggingface_hub's own ``ModelCard``/``DatasetCard`` so the
fields mean what the Hub says they mean; huggingface_hub is imported only when a card is read.

List-or-string fields (``datasets``, ``base_model``, ``language``...) are always tuples here,
in the card's order with duplicates removed. A malformed front matter (bad YAML, not a mapping,
unparseable ``model-index``, a field of the wrong type) raises a one-line
:class:`~mbom.errors.MalformedFileError`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mbom.capture._jsonvalue import Scalar, is_scalar, scalar, to_json_value
from mbom.capture.configs import load_python_json
from mbom.errors import MalformedFileError
from mbom.load import read_text

CONFIG_NAME = "config.json"
CARD_NAME = "README.md"
METADATA_FILES = (CONFIG_NAME, CARD_NAME)
"""What :func:`capture_hf_model` reads from a model directory (pinned to the hashed files)."""
_CONFIG_PROMOTED = frozenset(
    {"architectures", "model_type", "_name_or_path", "torch_dtype", "dtype"}
)
_CLASS_REPR = re.compile(r"<class '[\w.]+'>\s*")
_OPENING_FENCE = re.compile(r"\s*---(?:\r\n|\r|\n)")


@dataclass(frozen=True, slots=True)
class HFModelConfig:
    """The parts of a transformers ``config.json`` a BOM needs."""

    architectures: tuple[str, ...]
    model_type: str | None
    name_or_path: str | None
    """``_name_or_path``: where the weights were loaded from when the config was saved."""
    torch_dtype: str | None
    """``torch_dtype``, or ``dtype`` as transformers 4.56+ writes it."""
    fields: Mapping[str, Scalar]
    """Every other top-level scalar field, key-sorted (nested objects are left out).
    A plain dict: callers must not mutate it."""


@dataclass(frozen=True, slots=True)
class EvalMetric:
    """One result from a card's ``model-index``."""

    task_type: str
    task_name: str | None
    dataset_type: str
    dataset_name: str
    dataset_config: str | None
    dataset_split: str | None
    metric_type: str
    metric_name: str | None
    metric_value: Scalar
    verified: bool | None


@dataclass(frozen=True, slots=True)
class ModelCardRecord:
    license: str | None
    license_name: str | None
    license_link: str | None
    datasets: tuple[str, ...]
    base_model: tuple[str, ...]
    pipeline_tag: str | None
    language: tuple[str, ...]
    library_name: str | None
    tags: tuple[str, ...]
    model_name: str | None
    """The name given in ``model-index``."""
    metrics: tuple[EvalMetric, ...]
    description: str | None
    limitations: tuple[str, ...] = ()
    """First paragraph under each heading naming limitations, bias or risks (in order)."""
    """First paragraph of prose after the front matter (headings, comments, code skipped)."""


@dataclass(frozen=True, slots=True)
class DatasetCardRecord:
    license: tuple[str, ...]
    pretty_name: str | None
    task_categories: tuple[str, ...]
    size_categories: tuple[str, ...]
    language: tuple[str, ...]
    tags: tuple[str, ...]
    description: str | None


@dataclass(frozen=True, slots=True)
class HFModelMetadata:
    """What a model directory says about itself; a part is None when its file is absent."""

    config: HFModelConfig | None
    card: ModelCardRecord | None


def capture_hf_model(model_dir: str | os.PathLike[str]) -> HFModelMetadata:
    """Read ``config.json`` and ``README.md`` of a model directory, each when present."""
    root = Path(model_dir)
    config_path, card_path = root / CONFIG_NAME, root / CARD_NAME
    return HFModelMetadata(
        config=parse_hf_config(config_path) if config_path.is_file() else None,
        card=parse_model_card(card_path) if card_path.is_file() else None,
    )


def parse_hf_config(path: str | os.PathLike[str]) -> HFModelConfig:
    """Parse a transformers ``config.json``."""
    name = os.fspath(path)
    data = to_json_value(load_python_json(read_text(name), name), name)
    if not isinstance(data, dict):
        raise MalformedFileError(f"{name}: expected a JSON object at the top level", path=name)
    fields = {
        key: value
        for key, value in sorted(data.items())
        if key not in _CONFIG_PROMOTED and is_scalar(value)
    }
    dtype = data.get("torch_dtype", data.get("dtype"))
    return HFModelConfig(
        architectures=_strings(data.get("architectures"), "architectures", name),
        model_type=_optional_string(data.get("model_type"), "model_type", name),
        name_or_path=_optional_string(data.get("_name_or_path"), "_name_or_path", name),
        torch_dtype=_optional_string(dtype, "torch_dtype", name),
        fields=fields,
    )


def parse_model_card(path: str | os.PathLike[str]) -> ModelCardRecord:
    """Parse a model card (``README.md`` with YAML front matter) with ``ModelCard``."""
    from huggingface_hub import ModelCard, ModelCardData

    name = os.fspath(path)
    data, text = _load_card(name, ModelCard, ModelCardData)
    return ModelCardRecord(
        license=_optional_string(data.license, "license", name),
        license_name=_optional_string(data.license_name, "license_name", name),
        license_link=_optional_string(data.license_link, "license_link", name),
        datasets=_strings(data.datasets, "datasets", name),
        base_model=_strings(data.base_model, "base_model", name),
        pipeline_tag=_optional_string(data.pipeline_tag, "pipeline_tag", name),
        language=_strings(data.language, "language", name),
        library_name=_optional_string(data.library_name, "library_name", name),
        tags=_strings(data.tags, "tags", name),
        model_name=_optional_string(data.model_name, "model-index name", name),
        metrics=tuple(_metric(result, name) for result in data.eval_results or ()),
        description=first_paragraph(text),
        limitations=limitation_paragraphs(text),
    )


def parse_dataset_card(path: str | os.PathLike[str]) -> DatasetCardRecord:
    """Parse a dataset card (``README.md`` of a dataset) with ``DatasetCard``."""
    from huggingface_hub import DatasetCard, DatasetCardData

    name = os.fspath(path)
    data, text = _load_card(name, DatasetCard, DatasetCardData)
    return DatasetCardRecord(
        license=_strings(data.license, "license", name),
        pretty_name=_optional_string(data.pretty_name, "pretty_name", name),
        task_categories=_strings(data.task_categories, "task_categories", name),
        size_categories=_strings(data.size_categories, "size_categories", name),
        language=_strings(data.language, "language", name),
        tags=_strings(data.get("tags"), "tags", name),
        description=first_paragraph(text),
    )


def _load_card(name: str, card_class: Any, data_class: Any) -> tuple[Any, str]:
    """Return (card data, markdown body) for the card file ``name``.

    The front matter block is found with huggingface_hub's own pattern, parsed here first
    (``safe_load``, so errors carry file line numbers), then handed to huggingface_hub. A card
    without front matter gets empty card data without going through huggingface_hub (which
    would log a warning); an opening ``---`` that is never closed is an error.
    """
    from huggingface_hub.repocard import REGEX_YAML_BLOCK

    content = read_text(name)
    block = REGEX_YAML_BLOCK.search(content)
    if block is None:
        opening = _OPENING_FENCE.match(content)
        if opening:
            line = len(opening.group(0).splitlines())
            raise MalformedFileError(
                f"{name}: front matter opened with '---' at line {line} is never closed",
                path=name,
            )
        return data_class(), content
    from mbom.load import load_yaml  # PyYAML only for a card with front matter

    offset = len(block.group(1).splitlines())
    front = load_yaml(block.group(2), name, line_offset=offset)
    if front is not None and not isinstance(front, dict):
        raise MalformedFileError(
            f"{name}: front matter at line {offset} is not a mapping", path=name
        )
    try:
        card = card_class(content)
    except ValueError as exc:  # e.g. an unparseable model-index
        detail = _CLASS_REPR.sub("", str(exc).split(". Pass")[0])
        detail = " ".join(detail.split())
        raise MalformedFileError(f"{name}: invalid card metadata: {detail}", path=name) from None
    return card.data, card.text


def first_paragraph(markdown: str) -> str | None:
    """The first paragraph of prose in ``markdown``, whitespace-collapsed.

    Headings, HTML comments, fenced code, tables and horizontal rules are skipped; the
    paragraph ends at a blank line or the next heading.
    """
    collected: list[str] = []
    in_fence = in_comment = False
    for raw in markdown.splitlines():
        line = raw.strip()
        if in_comment:
            in_comment = "-->" not in line
            continue
        if line.startswith(("```", "~~~")):
            if collected:
                break
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if line.startswith("<!--"):
            if collected:
                break
            in_comment = "-->" not in line
            continue
        skip = line.startswith(("#", "|")) or set(line) <= set("-=*_ ")
        if not line or skip:
            if collected:
                break
            continue
        collected.append(line)
    return " ".join(" ".join(collected).split()) or None


_LIMITATION_WORDS = ("limitation", "bias", "risk", "out-of-scope", "safety")


def limitation_paragraphs(markdown: str) -> tuple[str, ...]:
    """The first paragraph under each heading about limitations, bias, risks or safety
    (the model-card template's "Bias, Risks, and Limitations"), for the BOM's
    ``considerations.technicalLimitations``."""
    found: list[str] = []
    heading: str | None = None
    body: list[str] = []
    for line in [*markdown.splitlines(), "# end"]:
        if line.lstrip().startswith("#"):
            if heading is not None and any(w in heading.lower() for w in _LIMITATION_WORDS):
                paragraph = first_paragraph("\n".join(body))
                if paragraph and paragraph not in found:
                    found.append(paragraph)
            heading, body = line.strip("# \t"), []
        else:
            body.append(line)
    return tuple(found)


def _metric(result: Any, name: str) -> EvalMetric:
    return EvalMetric(
        task_type=_required_string(result.task_type, "model-index task type", name),
        task_name=_optional_string(result.task_name, "model-index task name", name),
        dataset_type=_required_string(result.dataset_type, "model-index dataset type", name),
        dataset_name=_required_string(result.dataset_name, "model-index dataset name", name),
        dataset_config=_optional_string(result.dataset_config, "model-index dataset config", name),
        dataset_split=_optional_string(result.dataset_split, "model-index dataset split", name),
        metric_type=_required_string(result.metric_type, "model-index metric type", name),
        metric_name=_optional_string(result.metric_name, "model-index metric name", name),
        metric_value=_metric_value(result.metric_value, name),
        verified=result.verified if isinstance(result.verified, bool) else None,
    )


def _metric_value(value: Any, name: str) -> Scalar:
    if isinstance(value, dict | list | tuple | set):
        raise MalformedFileError(f"{name}: a model-index metric value is not a scalar", path=name)
    return scalar(value)


def _optional_string(value: Any, field: str, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise MalformedFileError(f"{name}: field {field!r} must be a string", path=name)
    return str(value)


def _required_string(value: Any, field: str, name: str) -> str:
    text = _optional_string(value, field, name)
    if text is None:
        raise MalformedFileError(f"{name}: field {field!r} is missing", path=name)
    return text


def _strings(value: Any, field: str, name: str) -> tuple[str, ...]:
    """A string or a list of strings as a tuple, in order, without duplicates."""
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else [value]
    texts = [_optional_string(item, field, name) for item in items]
    return tuple(dict.fromkeys(text for text in texts if text is not None))
