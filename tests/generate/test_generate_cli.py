"""`mbom generate / validate / inspect` end to end, on real files."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import struct
import zipfile
from pathlib import Path

import pytest

from mbom.bom.subjects import model_component
from tests.generate.conftest import run_mbom

EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}


def generate(*args: str, cwd: Path, env: dict[str, str] | None = None) -> dict:
    result = run_mbom("generate", *args, cwd=cwd, env={**EPOCH, **(env or {})})
    assert result.returncode == 0, result.stderr
    output = next(
        (args[i + 1] for i, a in enumerate(args) if a in ("-o", "--output")), "bom.cdx.json"
    )
    return json.loads((cwd / output).read_text())


def test_two_runs_are_byte_identical(tmp_path: Path, model_dir: Path, dataset_dir: Path) -> None:
    (tmp_path / "train.yaml").write_text("lr: 0.1\nlayers: [2, 3]\n")
    args = (
        "--model",
        "model",
        "--dataset",
        "train=data",
        "--config",
        "train.yaml",
        "--name",
        "tiny",
        "--version",
        "1.0",
    )
    generate(*args, "-o", "a.cdx.json", cwd=tmp_path)
    generate(*args, "-o", "b.cdx.json", cwd=tmp_path)
    assert (tmp_path / "a.cdx.json").read_bytes() == (tmp_path / "b.cdx.json").read_bytes()


def test_bom_layout(tmp_path: Path, model_dir: Path, dataset_dir: Path) -> None:
    (tmp_path / "train.yaml").write_text("optimizer:\n  lr: 0.1\nseed: 7\n")
    bom = generate(
        "--model", "model", "--dataset", "train=data", "--config", "train.yaml", cwd=tmp_path
    )
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    assert bom["serialNumber"].startswith("urn:uuid:")
    assert bom["metadata"]["timestamp"].startswith("2023-11-14T22:13:20")
    model = bom["metadata"]["component"]
    assert model["type"] == "machine-learning-model" and model["bom-ref"] == "model"
    assert "components" not in model  # files are top-level, where every consumer reads
    files = {c["name"]: c for c in bom["components"] if c["bom-ref"].startswith("model-file:")}
    assert all(c["type"] == "file" for c in files.values())
    weights = (model_dir / "model.safetensors").read_bytes()
    assert files["model.safetensors"]["hashes"] == [
        {"alg": "SHA-256", "content": hashlib.sha256(weights).hexdigest()}
    ]
    props = {p["name"]: p["value"] for p in files["model.safetensors"]["properties"]}
    assert props["mbom:role"] == "weights" and props["mbom:checkpoint:tensors"] == "2"
    assert props["mbom:checkpoint:parameters"] == "40"
    card = model["modelCard"]["modelParameters"]
    assert card["task"] == "text-classification"
    assert {"ref": "dataset:train"} in card["datasets"]
    assert {"ref": "dataset:org/data"} in card["datasets"]  # named by the card, not hashed
    assert model["licenses"] == [{"license": {"id": "MIT"}}]
    assert model["pedigree"]["ancestors"][0]["name"] == "org/tiny-base"
    data = {c["bom-ref"]: c for c in bom["components"]}
    dataset = data["dataset:train"]
    dprops = {p["name"]: p["value"] for p in dataset["properties"]}
    assert dprops["mbom:dataset:files"] == "5" and len(dataset["components"]) == 5
    assert len(dprops["mbom:merkle-root:sha256"]) == 64
    workflow = bom["formulation"][0]["workflows"][0]
    parameters = {
        p["name"]: p["value"] for i in workflow["inputs"] for p in i.get("parameters", [])
    }
    assert parameters == {"optimizer.lr": "0.1", "seed": "7"}
    libraries = {c["bom-ref"]: c for c in bom["components"] if c["type"] == "library"}
    assert any(c["name"] == "pytest" for c in libraries.values())
    assert "components" not in bom["formulation"][0]
    used = {r["ref"] for r in workflow["resourceReferences"]}
    assert used == set(libraries)
    entries = {d["ref"]: d for d in bom["dependencies"]}
    assert bom["dependencies"][0]["ref"] == "model"
    assert all(isinstance(d["dependsOn"], list) for d in bom["dependencies"])
    assert {f"model-file:{name}" for name in files} <= set(entries["model"]["dependsOn"])
    assert set(entries) == {c["bom-ref"] for c in bom["components"]} | {"model"}


def test_dataset_above_threshold_goes_to_a_hashed_sidecar(
    tmp_path: Path, model_dir: Path, dataset_dir: Path
) -> None:
    bom = generate(
        "--model",
        "model",
        "--dataset",
        "train=data",
        "--manifest-threshold",
        "3",
        "-o",
        "out.cdx.json",
        cwd=tmp_path,
    )
    dataset = next(c for c in bom["components"] if c["bom-ref"] == "dataset:train")
    props = {p["name"]: p["value"] for p in dataset["properties"]}
    manifest = tmp_path / props["mbom:manifest"]
    assert manifest.name == "out.train.cdx.manifest.jsonl"
    assert hashlib.sha256(manifest.read_bytes()).hexdigest() == props["mbom:manifest:sha256"]
    lines = [json.loads(line) for line in manifest.read_text().splitlines()]
    assert [line["path"] for line in lines] == sorted(line["path"] for line in lines)
    assert len(lines) == 5 and "components" not in dataset
    (reference,) = [r for r in dataset["externalReferences"] if r["type"] == "other"]
    assert reference["url"] == manifest.name
    assert reference["hashes"] == [{"alg": "SHA-256", "content": props["mbom:manifest:sha256"]}]


def test_spec_version_17(tmp_path: Path, model_dir: Path) -> None:
    bom = generate("--model", "model", "--spec-version", "1.7", cwd=tmp_path)
    assert bom["specVersion"] == "1.7"
    assert run_mbom("validate", "bom.cdx.json", cwd=tmp_path).returncode == 0


def test_mbom_yaml(tmp_path: Path, model_dir: Path, dataset_dir: Path) -> None:
    (tmp_path / "pipeline").mkdir()
    (tmp_path / "pipeline" / "mbom.yaml").write_text(
        "name: from-yaml\nversion: '2'\nmodel: ../model\n"
        "datasets:\n  - {name: train, path: ../data}\nenvironment: {packages: false}\n"
    )
    bom = generate("-f", "pipeline/mbom.yaml", cwd=tmp_path)
    assert bom["metadata"]["component"]["name"] == "from-yaml"
    assert "components" not in bom["formulation"][0]


def test_mbom_yaml_unknown_key_is_exit_2(tmp_path: Path, model_dir: Path) -> None:
    (tmp_path / "mbom.yaml").write_text("model: model\nmodle: typo\n")
    result = run_mbom("generate", "-f", "mbom.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert "Additional properties are not allowed ('modle' was unexpected)" in result.stderr


def malicious_checkpoint(path: Path, sentinel: Path) -> None:
    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {sentinel}",))

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"weights": Payload()}, protocol=2))
        archive.writestr("archive/version", "3\n")


def test_malicious_pickle_is_flagged_and_never_executed(tmp_path: Path, model_dir: Path) -> None:
    sentinel = tmp_path / "PWNED"
    malicious_checkpoint(model_dir / "pytorch_model.bin", sentinel)
    bom = generate("--model", "model", cwd=tmp_path)
    assert not sentinel.exists()
    files = {c["name"]: c for c in model_component(bom)["components"]}
    props = {p["name"]: p["value"] for p in files["pytorch_model.bin"]["properties"]}
    assert props["mbom:checkpoint:safe-to-load"] == "false"
    assert "system" in props["mbom:checkpoint:dangerous-globals"]
    shown = run_mbom("inspect", "bom.cdx.json", cwd=tmp_path)
    assert "UNSAFE" in shown.stdout
    assert not sentinel.exists()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda m: (m / "model.safetensors").write_bytes(b"\x05\x00"), "model.safetensors"),
        (
            lambda m: (m / "model.safetensors").write_bytes(struct.pack("<Q", 10_000) + b"{}"),
            "model.safetensors",
        ),
    ],
    ids=["truncated-safetensors", "header-longer-than-file"],
)
def test_broken_checkpoint_is_exit_2(tmp_path: Path, model_dir: Path, make, message: str) -> None:
    make(model_dir)
    result = run_mbom("generate", "--model", "model", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "bom.cdx.json").exists()


def test_invalid_yaml_config_is_exit_2(tmp_path: Path, model_dir: Path) -> None:
    (tmp_path / "bad.yaml").write_text("a: [1, 2\nb: 3\n")
    result = run_mbom("generate", "--model", "model", "--config", "bad.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert "bad.yaml" in result.stderr and "line" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("flag", ["--model", "--dataset", "--config", "--parent"])
def test_missing_path_is_exit_2(tmp_path: Path, model_dir: Path, flag: str) -> None:
    args = ["--model", "model"] if flag != "--model" else []
    result = run_mbom("generate", *args, flag, "absent", cwd=tmp_path)
    assert result.returncode == 2
    assert "absent" in result.stderr and "Traceback" not in result.stderr


def test_existing_output_survives_a_failed_run(tmp_path: Path, model_dir: Path) -> None:
    (tmp_path / "bom.cdx.json").write_text("previous")
    (tmp_path / "bad.yaml").write_text("a: [")
    run_mbom("generate", "--model", "model", "--config", "bad.yaml", cwd=tmp_path)
    assert (tmp_path / "bom.cdx.json").read_text() == "previous"


def test_parent_lineage(tmp_path: Path, model_dir: Path) -> None:
    parent = generate(
        "--model", "model", "--name", "base", "--version", "1", "-o", "base.cdx.json", cwd=tmp_path
    )
    (model_dir / "extra.txt").write_text("fine-tuned")
    child = generate(
        "--model", "model", "--parent", "base.cdx.json", "-o", "child.cdx.json", cwd=tmp_path
    )
    ancestors = child["metadata"]["component"]["pedigree"]["ancestors"]
    link = next(a for a in ancestors if a["name"] == "base")
    props = {p["name"]: p["value"] for p in link["properties"]}
    assert props["mbom:parent:serialNumber"] == parent["serialNumber"]
    parent_root = next(
        p["value"]
        for p in parent["metadata"]["component"]["properties"]
        if p["name"] == "mbom:merkle-root:sha256"
    )
    assert props["mbom:merkle-root:sha256"] == parent_root
    assert link["externalReferences"][0]["url"].startswith("urn:cdx:")


def test_inspect_json_and_text(tmp_path: Path, model_dir: Path) -> None:
    generate("--model", "model", cwd=tmp_path)
    result = run_mbom("inspect", "bom.cdx.json", "--format", "json", cwd=tmp_path)
    report = json.loads(result.stdout)
    assert report["models"][0]["component"]["name"] == "model"
    text = run_mbom("inspect", "bom.cdx.json", cwd=tmp_path).stdout
    assert "model.safetensors" in text and "merkle root" in text


def test_summary_line_counts_the_model_files(tmp_path: Path, model_dir: Path) -> None:
    done = run_mbom("generate", "--model", "model", "--no-environment", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    files = sum(1 for path in model_dir.rglob("*") if path.is_file())
    assert f"with {files} files" in done.stdout
