"""mbom audit: one report (JSON, Markdown, HTML) with outcome, checks, signers, digests,
lineage and evidence; written even when verification fails; reproducible with
SOURCE_DATE_EPOCH."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from mbom.forensics.audit_render import render_html, render_markdown
from tests.forensics.conftest import run_mbom
from tests.forensics.lineage_helpers import Lineage, three_generations

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "audit-report.schema.json"


@pytest.fixture(scope="module")
def lineage(tmp_path_factory: pytest.TempPathFactory) -> Lineage:
    return three_generations(tmp_path_factory.mktemp("audit"))


def _audit(lineage: Lineage, *extra: str, model: Path | None = None):
    return run_mbom(
        "audit",
        str(model or lineage.model),
        "--bundle",
        str(lineage.quantized),
        *extra,
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_json_report_has_every_part_and_matches_the_schema(lineage: Lineage) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    result = _audit(lineage, "--key", str(lineage.pub), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    jsonschema.validate(report, json.loads(SCHEMA.read_text()))
    assert report["verified"] and report["exitCode"] == 0
    assert any(c["id"] == "file-digest" or c["id"] == "files" for c in report["checks"])
    assert report["signers"][0]["kind"] == "key"
    weights = report["model"]["files"][0]
    assert weights["path"] == "weights.q4"
    assert weights["sha256"] == hashlib.sha256(b"quantized weights").hexdigest()
    evidence = report["evidence"]
    assert evidence["auditedAt"] == "2023-11-14T22:13:20Z"  # SOURCE_DATE_EPOCH
    assert evidence["tool"]["name"] == "mbom"
    assert evidence["bundles"][0]["sha256"] == _sha256(lineage.quantized)
    assert evidence["trust"]["keys"][0]["sha256"] == _sha256(lineage.pub)
    assert evidence["bomSerialNumber"] == report["bom"]["serialNumber"]
    labels = {node["label"]: node["status"] for node in report["lineage"]["nodes"]}
    assert labels["base 1.0"] == labels["fine-tuned 2.0"] == "verified"


def test_markdown_and_html_show_the_key_facts(lineage: Lineage, tmp_path: Path) -> None:
    markdown = _audit(lineage, "--key", str(lineage.pub))
    assert markdown.returncode == 0
    again = _audit(lineage, "--key", str(lineage.pub))
    assert markdown.stdout == again.stdout  # reproducible with SOURCE_DATE_EPOCH
    out = tmp_path / "audit.html"
    written = _audit(lineage, "--key", str(lineage.pub), "-o", str(out))
    assert written.returncode == 0 and written.stdout == ""
    html = out.read_text().replace("<wbr>", "")  # break opportunities inside long tokens
    digest = hashlib.sha256(b"quantized weights").hexdigest()
    for text in (markdown.stdout, html):
        assert "VERIFIED" in text and digest in text and "fine-tuned 2.0" in text
        assert _sha256(lineage.pub) in text and "2023-11-14T22:13:20Z" in text
    assert "```mermaid" in markdown.stdout and "<script" not in html


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz (dot) is not installed")
def test_html_draws_the_lineage_with_graphviz(lineage: Lineage, tmp_path: Path) -> None:
    out = tmp_path / "audit.html"
    written = _audit(lineage, "--key", str(lineage.pub), "-o", str(out))
    assert written.returncode == 0, written.stderr
    html = out.read_text()
    assert "<svg" in html and "<script" not in html


def test_failed_verification_still_writes_the_report(lineage: Lineage, tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "weights.q4").write_bytes(b"quantized weights, swapped")
    out = tmp_path / "audit.md"
    result = _audit(lineage, "--key", str(lineage.pub), "-o", str(out), model=model)
    assert result.returncode == 1
    text = out.read_text()
    assert "NOT VERIFIED" in text and "| fail | file-digest |" in text
    untrusted = _audit(lineage, "--format", "json")
    assert untrusted.returncode == 3
    assert json.loads(untrusted.stdout)["exitCode"] == 3


def test_input_error_writes_nothing(lineage: Lineage, tmp_path: Path) -> None:
    out = tmp_path / "audit.html"
    result = run_mbom(
        "audit", str(lineage.model), "--bundle", str(tmp_path / "bad.json"), "-o", str(out)
    )
    assert result.returncode in (2, 3) and result.stderr.startswith("mbom: error:")
    assert not out.exists()
    bad = tmp_path / "bad.sigstore.json"
    bad.write_text("{not json")
    result = run_mbom("audit", str(lineage.model), "--bundle", str(bad), "-o", str(out))
    assert result.returncode == 1, result.stderr  # the bundle is the attacker's: a "no", reported
    assert "not valid JSON" in out.read_text()


def test_renderers_escape_bom_strings_and_show_log_time(lineage: Lineage) -> None:
    report = json.loads(_audit(lineage, "--key", str(lineage.pub), "--format", "json").stdout)
    report["model"]["name"] = "<script>alert(1)</script>"
    signer = report["bundleSigners"][0]
    signer.update(identity="ci@example.com", integratedTime="2026-01-02T03:04:05Z")
    html, markdown = render_html(report), render_markdown(report)
    assert "<script>" not in html and "&lt;script&gt;alert(1)" in html
    assert "<script>" not in markdown
    assert "2026-01-02T03:04:05Z" in html and "ci@example.com" in markdown


def test_a_name_cannot_drive_the_terminal_or_reorder_the_page(lineage: Lineage) -> None:
    """Markdown goes to a terminal by default: no raw escape; HTML: no bidirectional override
    that would show ``evil\u202egpj.exe`` as ``evilexe.jpg``."""
    report = json.loads(_audit(lineage, "--key", str(lineage.pub), "--format", "json").stdout)
    report["model"]["name"] = "m\x1b[2K\u202egpj.exe"
    html, markdown = render_html(report), render_markdown(report)
    assert "\x1b" not in markdown and "\u202e" not in markdown and "\u202e" not in html
    assert "m\\x1b[2K\\u202egpj.exe" in markdown
    assert "m\\x1b[2K\\u202egp" in html  # then break opportunities (<wbr>) inside the name
