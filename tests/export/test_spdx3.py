"""mbom export --format spdx3: SPDX 3.0.1 JSON-LD that spdx3-validate accepts (schema + SHACL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.export.conftest import generate, load
from tests.generate.conftest import run_mbom
from tests.helpers.minilm import minilm_model_dir
from tests.helpers.old_layout import to_old_layout
from tests.helpers.spdx3_offline import spdx3_errors


def export(bom: Path, out: Path) -> dict:
    done = run_mbom("export", str(bom), "--format", "spdx3", "-o", str(out))
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


def by_type(document: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for element in document["@graph"]:
        found.setdefault(element["type"], []).append(element)
    return found


def relations(document: dict, kind: str) -> list[dict]:
    return [
        e
        for e in document["@graph"]
        if e["type"].endswith("Relationship") and e["relationshipType"] == kind
    ]


def test_demo_model_exports_valid_spdx(demo_bom_with_environment: Path, tmp_path: Path) -> None:
    demo_bom = demo_bom_with_environment
    out = tmp_path / "model.spdx3.json"
    document = export(demo_bom, out)
    assert spdx3_errors(out) == []
    assert document["@context"] == "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    elements = by_type(document)
    (model,) = elements["ai_AIPackage"]
    assert model["name"] == "mbom-demo-classifier" and model["software_packageVersion"] == "1.0.0"
    assert model["ai_domain"] == ["text-classification"]
    assert model["ai_typeOfModel"] == ["TinyClassifier", "tiny-mlp"]
    hyper = {e["key"]: e["value"] for e in model["ai_hyperparameter"]}
    assert hyper["optimizer.lr"] == "0.001" and hyper["seed"] == "42"
    assert {e["key"]: e["value"] for e in model["ai_metric"]} == {
        "accuracy@mbom-demo/sentiment-sample": "0.875"
    }
    bom = load(demo_bom)
    files = [c for c in bom["components"] if c["bom-ref"].startswith("model-file:")]
    assert {f["name"] for f in elements["software_File"]} == {c["name"] for c in files}
    (contains,) = relations(document, "contains")
    assert contains["from"] == model["spdxId"] and len(contains["to"]) == len(files)
    (dataset,) = elements["dataset_DatasetPackage"]
    assert dataset["name"] == "mbom-demo/sentiment-sample" and dataset["dataset_datasetSize"] == 301
    (trained,) = relations(document, "trainedOn")
    assert trained["to"] == [dataset["spdxId"]]
    declared = {r["from"]: r["to"] for r in relations(document, "hasDeclaredLicense")}
    licences = {e["spdxId"]: e for e in elements["simplelicensing_LicenseExpression"]}
    expression = licences[declared[model["spdxId"]][0]]
    assert expression["simplelicensing_licenseExpression"] == "Apache-2.0"
    packages = [c for c in bom["components"] if c["type"] == "library"]
    purls = {e.get("software_packageUrl") for e in elements["software_Package"]}
    assert {c["purl"] for c in packages} <= purls
    (build,) = [r for r in relations(document, "dependsOn") if r.get("scope") == "build"]
    assert len(build["to"]) == len(packages)
    (doc,) = elements["SpdxDocument"]
    assert doc["rootElement"] == [model["spdxId"]]
    assert set(doc["profileConformance"]) >= {"ai", "dataset", "software", "core"}


def test_export_is_deterministic_and_reads_bundles(demo_bom: Path, tmp_path: Path) -> None:
    first = run_mbom("export", str(demo_bom))
    second = run_mbom("export", str(demo_bom))
    assert first.returncode == 0 and first.stdout == second.stdout
    assert json.loads(first.stdout)["@graph"]


def test_minilm_exports_valid_spdx(tmp_path: Path) -> None:
    model = minilm_model_dir()
    bom = generate(tmp_path, "--model", str(model), "--no-environment")
    out = tmp_path / "minilm.spdx3.json"
    document = export(bom, out)
    assert spdx3_errors(out) == []
    (package,) = by_type(document)["ai_AIPackage"]
    assert "BertModel" in package["ai_typeOfModel"]
    names = {f["name"] for f in by_type(document)["software_File"]}
    assert {"config.json", "model.safetensors"} <= names


def test_large_dataset_with_sidecar_exports_valid_spdx(big_dataset_bom: Path, tmp_path: Path):
    bom = load(big_dataset_bom)
    (dataset,) = [c for c in bom["components"] if c["bom-ref"] == "dataset:shards"]
    props = {p["name"]: p["value"] for p in dataset["properties"]}
    assert props["mbom:dataset:files"] == "1500" and "mbom:manifest" in props
    out = tmp_path / "big.spdx3.json"
    document = export(big_dataset_bom, out)
    assert spdx3_errors(out) == []
    (exported,) = [e for e in by_type(document)["dataset_DatasetPackage"] if e["name"] == "shards"]
    assert exported["dataset_datasetSize"] == int(props["mbom:dataset:bytes"])
    assert props["mbom:manifest:sha256"] in exported["comment"]
    assert props["mbom:merkle-root:sha256"] in exported["comment"]


def test_the_validator_rejects_what_spdx_forbids(demo_bom: Path, tmp_path: Path) -> None:
    """The check can fail: a dataset without its required type is refused (schema + SHACL)."""
    out = tmp_path / "broken.spdx3.json"
    document = export(demo_bom, out)
    for element in document["@graph"]:
        element.pop("dataset_datasetType", None)
    out.write_text(json.dumps(document))
    errors = spdx3_errors(out)
    assert any(e.startswith("schema:") for e in errors)
    assert any(e.startswith("shacl:") and "datasetType" in e for e in errors)


def test_old_layout_bom_exports_the_same_elements(demo_bom: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.cdx.json"
    old.write_text(json.dumps(to_old_layout(load(demo_bom))))
    new_doc = export(demo_bom, tmp_path / "new.spdx3.json")
    old_doc = export(old, tmp_path / "old.spdx3.json")
    assert spdx3_errors(tmp_path / "old.spdx3.json") == []
    count = {kind: len(items) for kind, items in by_type(new_doc).items()}
    assert {kind: len(items) for kind, items in by_type(old_doc).items()} == count


def test_card_limitations_and_energy_reach_the_ai_profile(demo_bom: Path, tmp_path: Path):
    bom = load(demo_bom)
    card = bom["metadata"]["component"]["modelCard"]
    card["considerations"] = {
        "technicalLimitations": ["Six training sentences: not for real use."],
        "environmentalConsiderations": {
            "energyConsumptions": [
                {
                    "activity": "training",
                    "energyProviders": [],
                    "activityEnergyCost": {"value": 0.25, "unit": "kWh"},
                }
            ]
        },
    }
    edited = tmp_path / "edited.cdx.json"
    edited.write_text(json.dumps(bom))
    out = tmp_path / "edited.spdx3.json"
    (model,) = by_type(export(edited, out))["ai_AIPackage"]
    assert spdx3_errors(out) == []
    assert model["ai_limitation"] == "Six training sentences: not for real use."
    (training,) = model["ai_energyConsumption"]["ai_trainingEnergyConsumption"]
    assert (
        training["ai_energyUnit"] == "kilowattHour" and float(training["ai_energyQuantity"]) == 0.25
    )


def test_model_card_limitations_are_captured(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "weights.bin").write_bytes(b"\0" * 16)
    (model / "README.md").write_text(
        "---\nlicense: mit\n---\n# m\n\nA model.\n\n## Bias, Risks, and Limitations\n\n"
        "Trained on English only; do not use\nfor medical advice.\n\n## Training\n\nSGD.\n"
    )
    bom = load(generate(tmp_path, "--model", "model"))
    limitations = bom["metadata"]["component"]["modelCard"]["considerations"]
    assert limitations == {
        "technicalLimitations": ["Trained on English only; do not use for medical advice."]
    }


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", '{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}'],
)
def test_bad_input_is_exit_2_with_one_line_and_no_output(tmp_path: Path, content: str) -> None:
    bad = tmp_path / "bad.cdx.json"
    bad.write_text(content)
    out = tmp_path / "out.spdx3.json"
    out.write_text("previous\n")
    done = run_mbom("export", str(bad), "-o", str(out))
    assert done.returncode == 2
    assert done.stderr.startswith("mbom: error: ") and len(done.stderr.splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert out.read_text() == "previous\n"  # never partial output
