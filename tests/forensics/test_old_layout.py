"""BOMs signed in the layout before issue 14 still go through lineage and inclusion proofs."""

from __future__ import annotations

import json
from pathlib import Path

from mbom.attest import load_signing_key, sign_bom, write_bundle
from mbom.forensics.lineage import build_lineage
from mbom.verify.trust import load_trust
from tests.forensics.conftest import run_mbom
from tests.forensics.lineage_helpers import three_generations
from tests.helpers.old_layout import to_old_layout


def _resign_old(bom_path: Path, pem: Path) -> dict:
    old = to_old_layout(json.loads(bom_path.read_text()))
    bom_path.write_text(json.dumps(old, indent=2))
    bundle = bom_path.with_name(bom_path.name + ".sigstore.json")
    write_bundle(sign_bom(old, keys=[load_signing_key(pem)]), bundle)
    return old


def test_lineage_with_an_old_layout_generation_is_verified(tmp_path: Path) -> None:
    lineage = three_generations(tmp_path)
    old = _resign_old(tmp_path / "base.cdx.json", lineage.pem)
    assert old["metadata"]["component"]["components"]  # files nested, as before
    assert not any(c["bom-ref"].startswith("model-file:") for c in old["components"])
    document = build_lineage([str(lineage.quantized)], trust=load_trust(keys=[lineage.pub]))
    graph = document.to_json()
    assert graph["ok"] and graph["exitCode"] == 0
    nodes = {node["label"]: node for node in graph["nodes"]}
    assert nodes["base 1.0"]["status"] == "verified"


def test_inclusion_proof_from_an_old_layout_bom(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.bin").write_bytes(b"\0" * 32)
    data = tmp_path / "data"
    data.mkdir()
    for index in range(6):
        (data / f"part-{index}.csv").write_text(f"x\n{index}\n")
    made = run_mbom(
        "generate", "--model", "model", "--dataset", "train=data", "--no-environment",
        "--manifest-threshold", "3", cwd=tmp_path,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    bom = tmp_path / "bom.cdx.json"
    old = to_old_layout(json.loads(bom.read_text()))
    (dataset,) = [c for c in old["components"] if c["bom-ref"] == "dataset:train"]
    assert "externalReferences" not in dataset  # the sidecar named by properties only
    bom.write_text(json.dumps(old))
    proved = run_mbom("prove", "data/part-4.csv", "--bom", "bom.cdx.json", cwd=tmp_path)
    assert proved.returncode == 0, proved.stderr
    checked = run_mbom(
        "check-proof", "proof.json", "--bom", "bom.cdx.json", "--format", "json", cwd=tmp_path
    )
    assert checked.returncode == 0 and json.loads(checked.stdout)["verified"] is True
