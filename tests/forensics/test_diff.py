"""`mbom diff` on BOMs generated from changed inputs, on bundles, and on third-party BOMs."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from mbom.attest.bundles import write_bundle
from mbom.attest.keys import load_signing_key, write_key_pair
from mbom.attest.signing import sign_bom
from mbom.capture.environment import normalise_package_name
from mbom.forensics.diff import diff_paths
from mbom.generate import GenerateRequest, generate, manifest_stem_for, write_bom
from tests.forensics.conftest import run_mbom

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "cyclonedx"
SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "diff.schema.json"
CARD = "---\nlicense: {licence}\npipeline_tag: {task}\n---\n\nA tiny test model.\n"


def inputs(root: Path) -> Path:
    """Model, dataset, config and a parent BOM under ``root`` (the baseline)."""
    model = root / "model"
    model.mkdir(parents=True)
    (model / "weights.bin").write_bytes(b"\x01" * 64)
    (model / "extra.bin").write_bytes(b"extra")
    (model / "config.json").write_text(json.dumps({"model_type": "tiny"}))
    (model / "README.md").write_text(CARD.format(licence="mit", task="text-classification"))
    data = root / "data"
    data.mkdir()
    for index in range(4):
        (data / f"part-{index}.csv").write_text(f"x\n{index}\n")
    (root / "train.yaml").write_text("lr: 0.1\nepochs: 3\noptimizer:\n  name: adamw\n")
    parent_model = root / "parent"
    parent_model.mkdir()
    (parent_model / "w.bin").write_bytes(b"parent")
    build(root, "parent.cdx.json", model=str(parent_model), datasets=(), configs=(), parents=())
    return root


def build(root: Path, output: str, **overrides: object) -> Path:
    values: dict = {
        "model": str(root / "model"),
        "datasets": (f"train={root / 'data'}",),
        "configs": (str(root / "train.yaml"),),
        "parents": (str(root / "parent.cdx.json"),),
        "environment": False,
        "git_dir": None,
    }
    values.update(overrides)
    target = root / output
    built = generate(
        GenerateRequest(**values), manifest_stem=manifest_stem_for(target), cache=False
    )
    write_bom(built, target)
    return target


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return inputs(tmp_path)


def changes(a: Path, b: Path, category: str) -> dict[str, dict]:
    report = diff_paths(a, b).to_json()
    return {c["key"]: c for c in report["changes"] if c["category"] == category}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_same_inputs_are_equal(base: Path) -> None:
    a, b = build(base, "a.cdx.json"), build(base, "b.cdx.json")
    result = diff_paths(a, b)
    assert result.equal and result.changes == ()
    cli = run_mbom("diff", str(a), str(b))
    assert cli.returncode == 0 and "no differences" in cli.stdout


def test_model_files(base: Path) -> None:
    a = build(base, "a.cdx.json")
    (base / "model" / "weights.bin").write_bytes(b"\x02" * 64)
    (base / "model" / "extra.bin").unlink()
    (base / "model" / "new.bin").write_bytes(b"new")
    b = build(base, "b.cdx.json")
    found = changes(a, b, "model-file")
    assert found["weights.bin"]["change"] == "changed"
    assert found["weights.bin"]["before"]["hashes"]["SHA-256"] == sha256(b"\x01" * 64)
    assert found["weights.bin"]["after"]["hashes"]["SHA-256"] == sha256(b"\x02" * 64)
    assert found["extra.bin"]["change"] == "removed"
    assert found["new.bin"] == {
        "category": "model-file",
        "change": "added",
        "key": "new.bin",
        "after": {"size": 3, "hashes": {"SHA-256": sha256(b"new")}},
    }
    assert changes(a, b, "model")["merkle-root"]["change"] == "changed"


@pytest.mark.parametrize("threshold", [1000, 1], ids=["nested", "manifest"])
def test_datasets_and_their_files(base: Path, threshold: int) -> None:
    a = build(base, "a.cdx.json", manifest_threshold=threshold)
    (base / "data" / "part-1.csv").write_text("x\nchanged\n")
    (base / "data" / "part-9.csv").write_text("x\n9\n")
    b = build(base, "b.cdx.json", manifest_threshold=threshold)
    if threshold == 1:
        assert (base / "b.train.cdx.manifest.jsonl").is_file()
    dataset = changes(a, b, "dataset")["train"]
    assert dataset["before"]["files"] == "4" and dataset["after"]["files"] == "5"
    assert dataset["before"]["root"] != dataset["after"]["root"]
    files = changes(a, b, "dataset-file")
    assert set(files) == {"part-1.csv", "part-9.csv"}
    assert files["part-1.csv"]["dataset"] == "train"
    assert files["part-1.csv"]["after"]["hashes"]["SHA-256"] == sha256(b"x\nchanged\n")
    assert files["part-9.csv"]["change"] == "added"
    renamed = build(base, "c.cdx.json", datasets=(f"eval={base / 'data'}",))
    by_name = changes(b, renamed, "dataset")
    assert by_name["train"]["change"] == "removed" and by_name["eval"]["change"] == "added"


def test_configs_and_hyperparameters(base: Path) -> None:
    a = build(base, "a.cdx.json")
    (base / "train.yaml").write_text("lr: 0.01\noptimizer:\n  name: sgd\nwarmup: 10\n")
    b = build(base, "b.cdx.json")
    config = next(iter(changes(a, b, "config").values()))
    assert config["change"] == "changed"
    assert config["after"]["hashes"]["SHA-256"] == sha256((base / "train.yaml").read_bytes())
    params = changes(a, b, "hyperparameter")
    assert (params["lr"]["before"], params["lr"]["after"]) == ("0.1", "0.01")
    assert params["optimizer.name"]["after"] == "sgd"
    assert params["warmup"]["change"] == "added"
    assert params["epochs"]["change"] == "removed"


def test_model_card(base: Path) -> None:
    a = build(base, "a.cdx.json")
    (base / "model" / "README.md").write_text(CARD.format(licence="apache-2.0", task="fill-mask"))
    b = build(base, "b.cdx.json")
    card = changes(a, b, "model-card")
    assert (card["licenses"]["before"], card["licenses"]["after"]) == ("MIT", "Apache-2.0")
    assert card["task"]["after"] == "fill-mask"


def test_lineage(base: Path) -> None:
    a = build(base, "a.cdx.json")
    (base / "parent" / "w.bin").write_bytes(b"parent v2")
    build(base, "parent2.cdx.json", model=str(base / "parent"), datasets=(), configs=(), parents=())
    b = build(base, "b.cdx.json", parents=(str(base / "parent2.cdx.json"),))
    parent = changes(a, b, "lineage")["parent"]
    assert parent["change"] == "changed"
    assert parent["before"]["merkle-root"] != parent["after"]["merkle-root"]
    assert parent["before"]["serialNumber"] != parent["after"]["serialNumber"]
    c = build(base, "c.cdx.json", parents=())
    assert changes(a, c, "lineage")["parent"]["change"] == "removed"


def test_packages_and_environment(base: Path) -> None:
    a = build(base, "a.cdx.json", environment=True)
    document = json.loads(a.read_text())
    formula = document["formulation"][0]
    packages = [c for c in document["components"] if c["type"] == "library"]
    assert packages, "the environment recorder found no packages"
    first, second = packages[0], packages[1]
    # What a changed environment looks like: one upgraded, one removed, one installed.
    first["version"] = "999.0"
    document["components"].remove(second)
    workflow = formula["workflows"][0]
    workflow["resourceReferences"].remove({"ref": second["bom-ref"]})
    document["dependencies"] = [
        d for d in document["dependencies"] if d["ref"] != second["bom-ref"]
    ]
    document["components"].append(
        {"type": "library", "name": "newpkg", "version": "1.0", "bom-ref": "pkg:pypi/newpkg@1.0"}
    )
    workflow["resourceReferences"].append({"ref": "pkg:pypi/newpkg@1.0"})
    formula["properties"] = [
        {
            "name": p["name"],
            "value": "CPython 9.9" if p["name"] == "mbom:env:python" else p["value"],
        }
        for p in formula.get("properties", [])
    ]
    b = base / "b.cdx.json"
    b.write_text(json.dumps(document))
    found = changes(a, b, "package")
    # Keyed by the PEP 503 name, so ``Flask`` (current layout) and ``flask`` (older) match.
    one, two = normalise_package_name(first["name"]), normalise_package_name(second["name"])
    assert found[one]["change"] == "changed"
    assert found[one]["after"] == "999.0"
    assert found[two] == {
        "category": "package",
        "change": "removed",
        "key": two,
        "before": second["version"],
    }
    assert found["newpkg"]["change"] == "added"
    assert changes(a, b, "environment")["python"]["after"] == "CPython 9.9"


def test_signers(base: Path, tmp_path: Path) -> None:
    bom = build(base, "a.cdx.json")
    document = json.loads(bom.read_text())
    bundles = []
    for name in ("alice", "bob"):
        private, _ = write_key_pair(tmp_path / name)
        target = tmp_path / f"{name}.sigstore.json"
        write_bundle(sign_bom(document, keys=[load_signing_key(private)]), target)
        bundles.append(target)
    result = diff_paths(bundles[0], bundles[1]).to_json()
    assert {c["category"] for c in result["changes"]} == {"signer"}
    assert sorted(c["change"] for c in result["changes"]) == ["added", "removed"]
    assert all(c["key"].startswith("key: ") for c in result["changes"])
    same = diff_paths(bom, bundles[0])
    assert same.equal and "only one side is a signed bundle" in same.notes[0]


def test_formats_and_exit_codes(base: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    a = build(base, "a.cdx.json")
    (base / "model" / "weights.bin").write_bytes(b"\x03" * 64)
    (base / "train.yaml").write_text("lr: 0.5\n")
    b = build(base, "b.cdx.json")
    as_json = run_mbom("diff", str(a), str(b), "--format", "json")
    assert as_json.returncode == 1, as_json.stderr
    report = json.loads(as_json.stdout)
    jsonschema.validate(report, json.loads(SCHEMA.read_text()))
    assert report["equal"] is False and report["summary"]["model-file"] == 1
    keys = [(c["category"], c["key"]) for c in report["changes"]]
    assert keys == sorted(keys, key=lambda k: (report_order(k[0]), k[1]))
    text = run_mbom("diff", str(a), str(b))
    assert text.returncode == 1 and "~ weights.bin" in text.stdout
    markdown = run_mbom("diff", str(a), str(b), "--format", "markdown")
    assert markdown.returncode == 1
    assert (
        "## hyperparameter" in markdown.stdout and "| changed | lr | 0.1 | 0.5 |" in markdown.stdout
    )
    missing = run_mbom("diff", str(a), str(base / "nope.json"))
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.count("\n") == 1 and "no such file" in missing.stderr


def report_order(category: str) -> int:
    from mbom.forensics.diff import CATEGORIES

    return CATEGORIES.index(category)


def _fixtures() -> list[Path]:
    return sorted(FIXTURES.rglob("*.json")) if FIXTURES.is_dir() else []


def _parses(path: Path) -> bool:
    try:
        json.loads(path.read_bytes())
    except ValueError:
        return False
    return True


def _family(path: Path) -> str:
    """valid-formulation-1.6 and -1.7 describe the same content: one family."""
    return path.stem.rsplit("-1.", 1)[0]


@pytest.mark.skipif(not _fixtures(), reason="shared fixtures not present")
def test_third_party_fixtures(tmp_path: Path) -> None:
    valid = [p for p in _fixtures() if _parses(p)]
    assert len(valid) >= 15
    for position, path in enumerate(valid):
        assert diff_paths(path, path).equal, path
        other = next(
            p for p in valid[position + 1 :] + valid[:position] if _family(p) != _family(path)
        )
        different = diff_paths(path, other)
        assert not different.equal, (path, other)
        different.to_json()  # serialisable
    # The CLI on two of them, both ways round, and on files that are not JSON (exit 2).
    copy = tmp_path / "bom.json"
    shutil.copy(valid[0], copy)
    assert run_mbom("diff", str(valid[0]), str(copy)).returncode == 0
    assert run_mbom("diff", str(valid[0]), str(valid[-1]), "--format", "markdown").returncode == 1
    for broken in (p for p in _fixtures() if not _parses(p)):
        result = run_mbom("diff", str(broken), str(valid[0]))
        assert result.returncode == 2 and "not valid JSON" in result.stderr
