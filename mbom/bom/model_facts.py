"""What a reader is told about a model: the facts ``mbom inspect`` and ``mbom audit`` both show.

Usage::

    from mbom.bom.describe import describe
    from mbom.bom.model_facts import file_facts, model_facts

    entry = describe(bom)["models"][0]
    model_facts(entry)    # {"task": ..., "architecture": ..., "tensors": ..., "parameters": ...}
    [file_facts(item) for item in entry["files"]]

One reading of :func:`mbom.bom.describe.describe`'s model entry, so the text summary and the
audit report cannot disagree about a model's architecture, task, tensors or parameters, nor
about what a checkpoint's parser found (GGUF architecture and quantization, ONNX producer and
opset...). Values are the BOM's strings; absent facts are ``None`` (or left out of
:func:`parsed_facts`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mbom.capture.checkpoints.facts import FACT_WORDS


def model_facts(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The model's own facts from one ``describe()["models"]`` entry."""
    props = entry.get("properties") or {}
    return {
        "task": entry.get("task"),
        "architecture": entry.get("model_architecture"),
        "family": entry.get("architecture_family"),
        "files": _int(props.get("mbom:model:files")),
        "bytes": _int(props.get("mbom:model:bytes")),
        "tensors": _int(props.get("mbom:model:tensors")),
        "parameters": _int(props.get("mbom:model:parameters")),
        "merkleRoot": props.get("mbom:merkle-root:sha256"),
    }


def file_facts(item: Mapping[str, Any]) -> dict[str, Any]:
    """One model file's checkpoint facts (format, tensors, parameters, parsed facts)."""
    checkpoint = item.get("checkpoint") or {}
    return {
        "format": checkpoint.get("format"),
        "tensors": _int(checkpoint.get("tensors")),
        "parameters": _int(checkpoint.get("parameters")),
        "facts": parsed_facts(checkpoint),
    }


def parsed_facts(checkpoint: Mapping[str, Any]) -> dict[str, str]:
    """The parser's facts recorded for one file, keyed by the words of
    :data:`mbom.capture.checkpoints.facts.FACT_WORDS`."""
    return {
        words: str(checkpoint[name])
        for name, words in FACT_WORDS
        if checkpoint.get(name) not in (None, "")
    }


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
