"""cdxgen's validator accepts every BOM mbom writes (schema and its deep checks)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.export.conftest import generate, load
from tests.helpers.cdxgen import cdx_validate
from tests.helpers.minilm import minilm_model_dir
from tests.helpers.old_layout import to_old_layout


def _errors(result: dict) -> list[str]:
    return [
        f.get("message", "") for f in result.get("findings", []) if f.get("severity") == "error"
    ]


def assert_valid(bom: Path) -> None:
    result = cdx_validate(bom, bom.with_suffix(".cdxgen.json"))
    assert result["schemaValid"] is True, result
    assert result["deepValid"] is True, result.get("findings")
    assert result["exit"] == 0


def test_demo_bom(demo_bom_with_environment: Path) -> None:
    assert_valid(demo_bom_with_environment)


def test_minilm_bom(tmp_path: Path) -> None:
    assert_valid(generate(tmp_path, "--model", str(minilm_model_dir())))


def test_bom_with_a_parent(demo_bom: Path, tmp_path: Path) -> None:
    child = tmp_path / "child"
    (child / "model").mkdir(parents=True)
    (child / "model" / "weights.bin").write_bytes(b"\1" * 64)
    bom = generate(child, "--model", "model", "--parent", str(demo_bom), "--no-environment")
    assert load(bom)["metadata"]["component"]["pedigree"]["ancestors"]
    assert_valid(bom)


def test_large_dataset_with_sidecar(big_dataset_bom: Path) -> None:
    assert_valid(big_dataset_bom)


def test_old_layout_leaf_entries_without_depends_on_fail_deep_checks(demo_bom: Path, tmp_path):
    """The issue's finding, replayed: what mbom wrote before fails cdxgen's validator."""
    old = tmp_path / "old.cdx.json"
    old.write_text(json.dumps(to_old_layout(load(demo_bom))))
    result = cdx_validate(old, tmp_path / "old.report.json")
    assert result["schemaValid"] is False and result["deepValid"] is False
    # ...and the leaf entries without ``dependsOn`` are the whole reason:
    fixed = to_old_layout(load(demo_bom))
    for entry in fixed["dependencies"]:
        entry.setdefault("dependsOn", [])
    old.write_text(json.dumps(fixed))
    assert_valid(old)
