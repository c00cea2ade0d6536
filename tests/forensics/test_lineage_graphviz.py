"""The lineage graph is laid out by Graphviz and embedded as inert SVG; without ``dot`` the
page lists the edges in a table. Labels come from BOMs: a hostile one must not become markup."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from mbom.forensics._graphviz import sanitise_svg
from mbom.forensics.lineage_render import render_html_section

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="graphviz (dot) is not installed"
)
HOSTILE = '\\N\\G</text><script>alert(1)</script><a href="javascript:x"> "q" & <b>'


def _document(label: str = "fine-tuned 2.0") -> dict:
    return {
        "exitCode": 1,
        "roots": ["urn:a"],
        "problems": [],
        "nodes": [
            {"id": "urn:a", "kind": "model", "label": label, "status": "verified"},
            {"id": "urn:b", "kind": "base-model", "label": "base 1.0", "status": "missing",
             "reason": "no bundle found"},
            {"id": "dataset:d", "kind": "dataset", "label": "instructions", "status": "recorded"},
        ],
        "edges": [
            {"source": "urn:a", "target": "urn:b", "relation": "derived-from"},
            {"source": "urn:a", "target": "dataset:d", "relation": "trained-on"},
        ],
    }  # fmt: skip


@needs_dot
def test_graph_is_drawn_by_dot_with_every_label() -> None:
    html = render_html_section(_document())
    svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert 'class="graph"' in svg and ("<polygon" in svg or "<path" in svg)
    for text in ("fine-tuned 2.0", "base 1.0", "instructions", "derived-from: missing"):
        assert f">{text}</text>" in svg, text
    assert "trained-on" in svg  # edge labels are placed by dot, not hidden


@needs_dot
def test_hostile_label_stays_text() -> None:
    html = render_html_section(_document(HOSTILE))
    svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    tags = re.findall(r"<[^>]*>", svg)  # markup only: the label's words may appear as text
    assert "<script" not in html and "<b>" not in html
    assert not [t for t in tags if "href" in t or "javascript" in t or t.startswith("<a ")]
    assert "&lt;/text&gt;&lt;script&gt;alert(1)" in svg  # the label, escaped, as text
    assert ">\\N\\G&lt;" in svg  # dot's label escapes were not expanded


def test_without_dot_the_edges_are_a_table(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no dot to find
    html = render_html_section(_document())
    assert "<svg" not in html and "apt-get install graphviz" in html
    rows = html.split("<th>broken link</th>", 1)[1]
    assert "fine-tuned 2.0</td><td>derived-from</td><td>base 1.0" in rows
    assert "missing" in rows and "trained-on" in rows


def test_sanitiser_keeps_drawing_only() -> None:
    svg = b"""<?xml version="1.0"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="10pt" height="10pt" viewBox="0 0 10 10" onload="alert(1)">
<script>alert(2)</script><style>*{}</style>
<g id="graph0" class="graph" transform="scale(1 1) rotate(0) translate(4 6)">
<a xlink:href="javascript:alert(3)"><polygon fill="url(javascript:alert(4))" stroke="#000"
 points="0,0 1,1"/></a>
<foreignObject><div>html</div></foreignObject>
<text x="1" y="2" font-family="Helvetica,sans-Serif">&lt;kept&gt;</text>
</g></svg>"""
    clean = sanitise_svg(svg)
    assert clean is not None
    for gone in ("alert", "script", "style", "onload", "href", "foreignObject", "html", "id="):
        assert gone not in clean, gone
    assert '<polygon stroke="#000" points="0,0 1,1">' in clean
    assert ">&lt;kept&gt;</text>" in clean and 'transform="scale(1 1)' in clean
    assert sanitise_svg(b"<html/>") is None and sanitise_svg(b"not xml") is None
    bomb = b'<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'
    assert sanitise_svg(bomb) is None
