"""The facts a checkpoint's header states about the model, as ``mbom:checkpoint:NAME`` values.

Usage::

    from mbom.capture.checkpoints.facts import FACT_WORDS, parsed_facts

    for name, value in parsed_facts(info):      # ("architecture", "llama"), ("opset", ...)
        properties[f"mbom:checkpoint:{name}"] = value

One list of names (:data:`FACT_WORDS`), written by the BOM builder and read back by
:mod:`mbom.bom.model_facts` for ``inspect`` and ``audit``. Only what the parser already read
from the header; nothing is loaded.
"""

from __future__ import annotations

from typing import Final

from mbom.capture.checkpoints.results import (
    CheckpointInfo,
    GGUFDetails,
    KerasDetails,
    OnnxDetails,
    TFLiteDetails,
)

#: property name (after ``mbom:checkpoint:``) -> the words a report uses, in reading order
FACT_WORDS: Final = (
    ("architecture", "architecture"),
    ("quantization", "quantization"),
    ("file-type", "file type"),
    ("context-length", "context length"),
    ("producer", "producer"),
    ("ir-version", "IR version"),
    ("opset", "opset"),
    ("schema-version", "schema version"),
    ("keras-version", "Keras version"),
    ("description", "description"),
)


def parsed_facts(info: CheckpointInfo) -> list[tuple[str, object]]:
    """``(name, value)`` for each fact the header states (absent ones left out)."""
    details = info.details
    pairs: list[tuple[str, object]] = []
    if isinstance(details, GGUFDetails):
        pairs = [
            ("architecture", details.architecture),
            ("quantization", details.quantization),
            ("file-type", details.file_type),
            ("context-length", details.context_length),
        ]
    elif isinstance(details, OnnxDetails):
        producer = " ".join(p for p in (details.producer_name, details.producer_version) if p)
        opsets = ",".join(f"{o.domain or 'ai.onnx'}:{o.version}" for o in details.opsets)
        pairs = [("producer", producer), ("ir-version", details.ir_version), ("opset", opsets)]
    elif isinstance(details, TFLiteDetails):
        pairs = [("schema-version", details.schema_version), ("description", details.description)]
    elif isinstance(details, KerasDetails):
        pairs = [("keras-version", details.keras_version)]
    return [(name, value) for name, value in pairs if value not in (None, "")]
