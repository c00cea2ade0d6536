"""Tests for mbom.bom.read: robust loading and the typed summary, on shared and generated BOMs."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from mbom.bom.read import load_bom, summarize_bom
from mbom.bom.summary import BomSummary, ComponentSummary, DataEntry, HashValue, Metric
from mbom.errors import InputError, MalformedFileError, UnreadableFileError

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "cyclonedx"
NOT_JSON = {
    "bom-examples-pr50/MLBOM_Dataset_bom.json",
    "bom-examples-pr50/MLBOM_Model_OpenSource_bom.json",
}
FIXTURE_NAMES = (
    sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.json"))
    if FIXTURES.is_dir()
    else []
)
needs_fixtures = pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"no fixtures at {FIXTURES}")


def write(tmp_path: Path, content: str | bytes, name: str = "bom.json") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


# --- load_bom --------------------------------------------------------------------------------


@needs_fixtures
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_every_parsable_fixture_loads_and_summarises(name: str) -> None:
    if name in NOT_JSON:
        with pytest.raises(MalformedFileError) as info:
            load_bom(FIXTURES / name)
        assert "not valid JSON: trailing comma at line 8 column 44" in str(info.value)
        assert "\n" not in str(info.value)
        return
    summary = summarize_bom(load_bom(FIXTURES / name))
    assert isinstance(summary, BomSummary)
    assert summary.spec_version in {"1.5", "1.6", "1.7"}
    assert sum(len(v) for v in summary.by_type.values()) == len(summary.components)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[]", "not a CycloneDX BOM: the JSON document is an array, not an object"),
        ('{"a": 1}', "not a CycloneDX BOM: bomFormat is missing, expected 'CycloneDX'"),
        ('{"a": 1,}', "not valid JSON: trailing comma at line 1 column 8"),
        ("", "not valid JSON: the file is empty"),
    ],
)
def test_malformed_files_give_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(MalformedFileError) as info:
        load_bom(path)
    assert str(info.value) == f"{path}: {message}"
    assert info.value.exit_code == 2 and info.value.path == str(path)


def test_size_cap(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps({"bomFormat": "CycloneDX", "pad": "x" * 2000}))
    with pytest.raises(MalformedFileError, match="larger than"):
        load_bom(path, max_bytes=1024)
    assert load_bom(path, max_bytes=4096)["bomFormat"] == "CycloneDX"


def test_missing_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_bom(tmp_path / "nope.json")
    with pytest.raises(InputError, match="is a directory"):
        load_bom(tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_special_file_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(UnreadableFileError, match="not a regular file"):
        load_bom(fifo)


# --- summarize_bom ---------------------------------------------------------------------------


def ml_bom() -> dict[str, Any]:
    card = {
        "modelParameters": {
            "approach": {"type": "supervised"},
            "task": "text-classification",
            "architectureFamily": "bert",
            "modelArchitecture": "BertForSequenceClassification",
            "datasets": [{"ref": "data-imdb"}, {"type": "dataset", "name": "inline"}],
        },
        "quantitativeAnalysis": {"performanceMetrics": [{"type": "accuracy", "value": 0.93}]},
    }
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 2,
        "metadata": {
            "timestamp": "2026-01-01T00:00:00Z",
            "tools": {"components": [{"type": "application", "name": "mbom", "version": "0.1"}]},
            "component": {"type": "application", "name": "svc", "version": "3"},
        },
        "components": [
            {
                "type": "machine-learning-model",
                "name": "clf",
                "version": "1",
                "bom-ref": "model",
                "hashes": [{"alg": "SHA-256", "content": "a" * 64}],
                "licenses": [{"license": {"id": "Apache-2.0"}}],
                "modelCard": card,
                "pedigree": {"ancestors": [{"type": "machine-learning-model", "name": "bert"}]},
            },
            {
                "type": "data",
                "name": "imdb",
                "bom-ref": "data-imdb",
                "licenses": [{"expression": "CC-BY-4.0 OR MIT"}],
                "properties": [{"name": "mbom:file_count", "value": "2"}],
                "data": [{"type": "dataset", "name": "imdb", "contents": {"url": "https://x"}}],
                "components": [{"type": "file", "name": "train.csv"}],
            },
        ],
        "dependencies": [{"ref": "model", "dependsOn": ["data-imdb"]}, {"ref": "data-imdb"}],
        "formulation": [{"bom-ref": "f"}],
    }


def test_summary_of_an_ml_bom() -> None:
    s = summarize_bom(ml_bom())
    assert (s.spec_version, s.version, s.timestamp) == ("1.6", 2, "2026-01-01T00:00:00Z")
    assert s.subject == ComponentSummary("application", "svc", "3")
    assert [(t.name, t.version) for t in s.tools] == [("mbom", "0.1")]
    assert [c.name for c in s.components] == ["clf", "imdb", "train.csv"]
    assert {k: len(v) for k, v in s.by_type.items()} == {
        "machine-learning-model": 1,
        "data": 1,
        "file": 1,
    }
    (model,) = s.models
    assert model.component.hashes == (HashValue("SHA-256", "a" * 64),)
    assert (model.task, model.approach, model.architecture_family) == (
        "text-classification",
        "supervised",
        "bert",
    )
    assert model.datasets == (DataEntry(ref="data-imdb"), DataEntry(name="inline", type="dataset"))
    assert model.metrics == (Metric("accuracy", "0.93"),)
    assert model.ancestors == ("bert",)
    (data,) = s.data
    assert data.entries == (DataEntry(name="imdb", type="dataset", url="https://x"),)
    assert data.properties == (("mbom:file_count", "2"),)
    assert s.has_formulation and s.dependencies_count == 2
    assert s.licenses == ("Apache-2.0", "CC-BY-4.0 OR MIT")


def test_summary_tolerates_odd_shapes() -> None:
    odd = {
        "bomFormat": "CycloneDX",
        "specVersion": 1.4,
        "version": True,
        "metadata": {"tools": [{"vendor": "acme", "name": "t"}, "junk"], "component": "x"},
        "components": [
            "junk",
            {"type": "machine-learning-model", "modelCard": {"modelParameters": []}},
            {"name": 7, "hashes": [{"alg": "MD5"}], "licenses": {"license": "?"}},
        ],
        "dependencies": {"not": "a list"},
    }
    s = summarize_bom(odd)
    assert (s.spec_version, s.version, s.subject) == ("1.4", None, None)  # numbers read as text
    assert [(t.vendor, t.name) for t in s.tools] == [("acme", "t")]
    assert s.models[0].has_model_card and s.models[0].task is None
    assert s.components[1] == ComponentSummary(None, "7", None)
    assert s.by_type["?"] == (s.components[1],)
    assert s.dependencies_count == 0 and s.licenses == ()
    assert summarize_bom({}).components == ()


@needs_fixtures
def test_summary_of_published_ml_boms() -> None:
    qwen = summarize_bom(load_bom(FIXTURES / "manifest-cyber-aibom/Qwen2.5-7B-Instruct.json"))
    (model,) = qwen.models
    assert (model.task, model.model_architecture) == ("text-generation", "Qwen2ForCausalLM")
    assert model.ancestors == ("Qwen2.5-7B",)
    assert [t.name for t in qwen.tools] == ["aibom-gen"]

    ml17 = summarize_bom(
        load_bom(FIXTURES / "cyclonedx-spec-testvectors/valid-machine-learning-1.7.json")
    )
    (model,) = ml17.models
    assert model.has_model_card and model.datasets[0].name == "Training Data"
    assert model.metrics[0].type == "The type of performance metric"

    k8s = summarize_bom(load_bom(FIXTURES / "k8s-aibom/vllm-deployment-output.json"))
    assert k8s.subject is not None and k8s.subject.name == "vllm-llama3"
    assert len(k8s.models) == 2 and not any(m.has_model_card for m in k8s.models)
    assert len(k8s.data) == 1

    formulation = summarize_bom(
        load_bom(FIXTURES / "cyclonedx-spec-testvectors/valid-formulation-1.6.json")
    )
    assert formulation.has_formulation
