"""The audit page as a browser shows it: render in headless Chromium and read the text back.

Skipped, with the reason, when Chromium is not installed (Debian: ``apt-get install chromium``).
The layout test also needs Graphviz's ``dot`` (Debian: ``graphviz``): the lineage graph is
drawn by it, and its SVG text is measured with the page's.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.forensics.conftest import run_mbom
from tests.forensics.lineage_helpers import safetensors_bytes, three_generations

CHROMIUM = next(
    (
        p
        for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
        if p and Path(p).exists()
    ),
    None,
)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


class _VisibleText(HTMLParser):
    """Text a reader sees: everything outside head, style, script and title."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self._hidden += tag in ("head", "style", "script", "title")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("head", "style", "script", "title")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def test_audit_page_shows_the_key_facts_in_chromium(tmp_path: Path) -> None:
    (tmp_path / "release").mkdir()
    lineage = three_generations(tmp_path / "release")
    page = tmp_path / "audit.html"
    result = run_mbom(
        "audit",
        str(lineage.model),
        "--bundle",
        str(lineage.quantized),
        "--key",
        str(lineage.pub),
        "-o",
        str(page),
    )
    assert result.returncode == 0, result.stderr
    dom = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0 and "<svg" in dom.stdout, dom.stderr[-2000:]
    reader = _VisibleText()
    reader.feed(dom.stdout.replace("<wbr>", ""))  # a break opportunity, not a space
    text = " ".join(" ".join(reader.parts).split())
    report = page.read_text().replace("<wbr>", "")
    serial = report.split("urn:uuid:", 1)[1][:36]
    assert "VERIFIED" in text and f"urn:uuid:{serial}" in text
    assert hashlib.sha256(b"quantized weights").hexdigest() in text  # a file digest
    assert lineage.pub.name in text and "key" in text  # the trust root and signer
    assert "fine-tuned 2.0" in text and "base 1.0" in text  # lineage nodes
    pdf = tmp_path / "audit.pdf"
    printed = _chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert printed.returncode == 0 and pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "VERIFIED" in text and "fine-tuned 2.0" in text


LONG_NAME = "acme-research/quantized-instruction-tuned-llama-variant-with-a-long-name"
A4_WIDTH = 794  # CSS pixels: 210 mm at 96 px per inch

#: Measures the page as laid out, then writes the result into the DOM (read with --dump-dom):
#: every text box (HTML text runs via Range rects, SVG <text> elements via their boxes), the
#: pairs of boxes that overlap, and the words in table and fact cells split across lines.
_MEASURE = """
<script>
(function () {
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode()); ) {
    const parent = node.parentElement;
    if (!node.data.trim() || parent.closest("svg, script, style, title")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects())
      if (r.width > 0.5 && r.height > 0.5)
        boxes.push({l: r.left, t: r.top, r: r.right, b: r.bottom, text: node.data.trim()});
  }
  for (const text of document.querySelectorAll("svg text")) {
    const r = text.getBoundingClientRect();
    boxes.push({l: r.left, t: r.top, r: r.right, b: r.bottom, text: text.textContent, svg: 1});
  }
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      const w = Math.min(a.r, b.r) - Math.max(a.l, b.l);
      const h = Math.min(a.b, b.b) - Math.max(a.t, b.t);
      if (w > 1 && h > 1) overlaps.push([a.text.slice(0, 60), b.text.slice(0, 60)]);
    }
  const broken = [];
  for (const cell of document.querySelectorAll("td, th, dt, dd")) {
    const cells = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node; (node = cells.nextNode()); )
      for (const match of node.data.matchAll(/\\b[A-Za-z]{3,}\\b/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (tops.size > 1) broken.push(match[0]);
      }
  }
  const out = document.createElement("pre");
  out.id = "layout";
  out.textContent = JSON.stringify({
    boxes: boxes.length, svgTexts: boxes.filter((b) => b.svg).length, overlaps, broken,
    scrollWidth: document.documentElement.scrollWidth,
  });
  document.body.appendChild(out);
})();
</script>
"""


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz (dot) is not installed")
def test_audit_page_at_a4_width_has_no_overlapping_text(tmp_path: Path) -> None:
    (tmp_path / "release").mkdir()
    card = "---\npipeline_tag: text-generation\nlicense: apache-2.0\n---\n# quantized\n"
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama"}
    lineage = three_generations(
        tmp_path / "release",
        quant_name=LONG_NAME,  # long names were drawn over the neighbouring boxes
        quant_extra={
            "README.md": card.encode(),
            "config.json": json.dumps(config).encode(),
            "model.safetensors": safetensors_bytes({"embed.weight": [8, 4], "norm.weight": [4]}),
        },
    )
    page = tmp_path / "audit.html"
    result = run_mbom(
        "audit", str(lineage.model), "--bundle", str(lineage.quantized), "--key",
        str(lineage.pub), "-o", str(page),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    html = page.read_text()
    assert "<svg" in html and "<script" not in html
    shot = tmp_path / "audit.png"
    taken = _chromium(
        tmp_path, f"--window-size={A4_WIDTH},3000", f"--screenshot={shot}", page.as_uri()
    )
    assert taken.returncode == 0, taken.stderr[-2000:]
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG") and struct.unpack(">I", png[16:20])[0] == A4_WIDTH
    # The page forbids scripts (CSP); a copy without that line runs the measuring script.
    measured = tmp_path / "measured.html"
    head, csp, rest = html.partition('<meta http-equiv="Content-Security-Policy"')
    assert csp, "the audit page carries its Content-Security-Policy"
    measured.write_text(head + rest.split(">", 1)[1].replace("</body>", _MEASURE + "</body>"))
    dom = _chromium(tmp_path, f"--window-size={A4_WIDTH},3000", "--dump-dom", measured.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    layout = json.loads(dom.stdout.split('<pre id="layout">', 1)[1].split("</pre>", 1)[0])
    assert layout["svgTexts"] >= 12, layout  # 5 lineage nodes with several lines each
    assert layout["overlaps"] == [], layout["overlaps"][:10]
    assert layout["broken"] == [], layout["broken"][:20]  # no "expec ted"
    assert layout["scrollWidth"] <= A4_WIDTH, layout["scrollWidth"]
    reader = _VisibleText()
    reader.feed(dom.stdout.replace("<wbr>", ""))
    text = " ".join(" ".join(reader.parts).split())
    for fact in (
        "VERIFIED", "LlamaForCausalLM", "text-generation", "safetensors", "weights",
        "fine-tuned 2.0", "base 1.0", "acme/pretrained-base", LONG_NAME[:30],
        "derived-from", "trained-on", "2 tensors", "36 parameters", "1 of 1 signers verified",
        hashlib.sha256(b"quantized weights").hexdigest()[:16],
    ):  # fmt: skip
        assert fact in text, fact
