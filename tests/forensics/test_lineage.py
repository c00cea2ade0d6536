"""mbom lineage: a three-generation lineage in every format, and broken links shown as such."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mbom.forensics.lineage import build_lineage
from mbom.forensics.lineage_render import render_dot, render_html, render_mermaid
from mbom.verify.trust import load_trust
from tests.forensics.conftest import run_mbom
from tests.forensics.lineage_helpers import Lineage, tamper_payload, three_generations

NAMES = ("quantized 2.0-q4", "fine-tuned 2.0", "base 1.0")


@pytest.fixture
def lineage(tmp_path: Path) -> Lineage:
    return three_generations(tmp_path)


def _graph(lineage: Lineage, **kwargs) -> dict:
    trust = load_trust(keys=[lineage.pub])
    return build_lineage([str(lineage.quantized)], trust=trust, **kwargs).to_json()


def _by_label(document: dict) -> dict[str, dict]:
    return {node["label"]: node for node in document["nodes"]}


def _every_format(document: dict) -> dict[str, str]:
    return {
        "mermaid": render_mermaid(document),
        "dot": render_dot(document),
        "html": render_html(document),
        "json": json.dumps(document),
    }


def test_three_generations_verified_in_every_format(lineage: Lineage) -> None:
    document = _graph(lineage)
    nodes = _by_label(document)
    assert document["exitCode"] == 0 and document["ok"]
    assert [nodes[name]["status"] for name in NAMES] == ["verified"] * 3
    assert nodes["instructions"]["kind"] == "dataset"
    assert nodes["acme/pretrained-base"]["status"] == "external"
    relations = {(e["source"], e["target"], e["relation"]) for e in document["edges"]}
    q, ft, base = (nodes[name]["id"] for name in NAMES)
    assert {(q, ft, "derived-from"), (ft, base, "derived-from")} <= relations
    assert (ft, nodes["instructions"]["id"], "trained-on") in relations
    for form, text in _every_format(document).items():
        for name in NAMES:
            assert name in text, (form, name)
        assert "missing" not in text and "failed" not in text.replace('"failed"', ""), form
    html = render_html(document)
    assert "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert "@media print" in html and "<svg" in html and "flowchart BT" in html


def test_missing_parent_is_a_broken_link_in_every_format(lineage: Lineage) -> None:
    lineage.base.unlink()
    (lineage.folder / "base.cdx.json").unlink()
    document = _graph(lineage)
    base = _by_label(document)["base 1.0"]
    assert base["status"] == "missing" and "parent not found" in base["reason"]
    assert document["exitCode"] == 1
    forms = _every_format(document)
    assert "-.->|derived-from: missing|" in forms["mermaid"]
    assert 'label="derived-from: missing", style=dashed' in forms["dot"]
    assert "derived-from: missing" in forms["html"] and "BROKEN lineage" in forms["html"]
    assert '"status": "missing"' in forms["json"]


def test_failing_parent_is_a_broken_link_in_every_format(lineage: Lineage) -> None:
    tamper_payload(lineage.fine_tuned)
    document = _graph(lineage)
    nodes = _by_label(document)
    tuned = nodes["fine-tuned-EDITED 2.0"]
    assert tuned["status"] == "failed" and tuned["reason"].startswith("signature:")
    assert nodes["base 1.0"]["status"] == "verified"  # its parents are still followed
    assert document["exitCode"] == 1
    forms = _every_format(document)
    assert "-.->|derived-from: failed|" in forms["mermaid"]
    assert 'label="derived-from: failed", style=dashed' in forms["dot"]
    assert "derived-from: failed" in forms["html"]
    assert '"status": "failed"' in forms["json"]


def test_parent_found_in_a_search_folder(lineage: Lineage, tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    for name in ("base.cdx.json", "base.cdx.json.sigstore.json"):
        shutil.move(lineage.folder / name, store / name)
    assert _by_label(_graph(lineage))["base 1.0"]["status"] == "missing"
    found = _by_label(_graph(lineage, search=[str(store)]))["base 1.0"]
    assert found["status"] == "verified" and found["source"].startswith(str(store))


def test_cli_exit_codes_and_output_file(lineage: Lineage, tmp_path: Path) -> None:
    out = tmp_path / "lineage.html"
    ok = run_mbom("lineage", str(lineage.quantized), "--key", str(lineage.pub), "-o", str(out))
    assert ok.returncode == 0, ok.stderr
    assert out.read_text().startswith("<!DOCTYPE html>") and ok.stdout == ""
    as_json = run_mbom(
        "lineage", str(lineage.quantized), "--key", str(lineage.pub), "--format", "json"
    )
    assert json.loads(as_json.stdout)["exitCode"] == 0
    untrusted = run_mbom("lineage", str(lineage.quantized))
    assert untrusted.returncode == 3 and "unverified" in untrusted.stdout
    missing = run_mbom("lineage", str(tmp_path / "nope.cdx.json"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    lineage.base.unlink()
    broken = run_mbom(
        "lineage", str(lineage.quantized), "--key", str(lineage.pub), "--format", "dot"
    )
    assert broken.returncode == 1 and "BROKEN" in broken.stderr


def _bom(serial: str, name: str, ancestors: list[dict], **extra) -> dict:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial,
        "version": 1,
        "metadata": {
            "component": {
                "type": "machine-learning-model",
                "name": name,
                "pedigree": {"ancestors": ancestors},
            }
        },
        **extra,
    }


def _parent(serial: str, location: str, name: str = "p") -> dict:
    props = {"mbom:parent:serialNumber": serial, "mbom:parent:location": location}
    return {
        "type": "machine-learning-model",
        "name": name,
        "properties": [{"name": k, "value": v} for k, v in props.items()],
    }


def test_untrusted_names_are_escaped(tmp_path: Path) -> None:
    evil = '<script>alert("x")</script> & #'
    quoted = 'p "q" \\ r'
    bom = _bom("urn:uuid:1", evil, [_parent("urn:uuid:2", "gone.cdx.json", name=quoted)])
    path = tmp_path / "evil.cdx.json"
    path.write_text(json.dumps(bom))
    document = build_lineage([str(path)]).to_json()
    html, mermaid, dot = render_html(document), render_mermaid(document), render_dot(document)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '"x"' not in mermaid and "#lt;script#gt;" in mermaid
    assert 'p \\"q\\" \\\\ r' in dot


def test_unsigned_bom_with_checkpoints_and_a_cycle(tmp_path: Path) -> None:
    steps = [
        {
            "name": f"checkpoint-{step}",
            "properties": [
                {"name": "mbom:checkpoint:step", "value": str(step)},
                {"name": "mbom:checkpoint:path", "value": f"ckpt-{step}"},
                {"name": "mbom:checkpoint:sha256", "value": "ab" * 32},
            ],
        }
        for step in (100, 200)
    ]
    formulation = [{"workflows": [{"name": "training", "steps": steps}]}]
    a = _bom("urn:uuid:a", "a", [_parent("urn:uuid:b", "b.cdx.json")], formulation=formulation)
    b = _bom("urn:uuid:b", "b", [_parent("urn:uuid:a", "a.cdx.json")])
    (tmp_path / "a.cdx.json").write_text(json.dumps(a))
    (tmp_path / "b.cdx.json").write_text(json.dumps(b))
    graph = build_lineage([str(tmp_path / "a.cdx.json")])
    nodes = {node.label: node for node in graph.nodes}
    assert nodes["a"].status == nodes["b"].status == "unsigned"
    assert nodes["step 200: ckpt-200"].kind == "checkpoint"
    assert any(e.relation == "checkpoint-of" for e in graph.edges)
    assert graph.problems and "cycle" in graph.problems[0] and graph.exit_code == 1
