"""Mermaid, Graphviz DOT and self-contained HTML forms of a lineage graph.

Usage::

    from mbom.forensics.lineage_render import render_dot, render_html, render_mermaid

    document = graph.to_json()          # mbom.forensics.lineage.LineageGraph
    render_mermaid(document); render_dot(document); render_html(document)

Each reads the JSON document, so every form says the same thing. Parents sit above their
children. The HTML embeds the graph as SVG laid out by Graphviz (:mod:`._graphviz`); without
``dot`` it lists the edges in a table instead (never a layout of our own).
A broken link (a parent missing or failing verification) is a dashed red edge
labelled with the parent's status, and the node says ``missing`` or ``failed``. Labels come
from BOMs, which are untrusted: each format escapes them its own way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mbom.forensics._html import (
    STATUS_COLOURS,
    esc,
    esc_breakable,
    page,
    status_badge,
    status_class,
    table,
)

_BROKEN = ("failed", "missing")
_NO_DOT = (
    '<p class="note">Graph not drawn: Graphviz is not installed (Debian/Ubuntu: '
    "<code>apt-get install graphviz</code>, which provides <code>dot</code>). "
    "Every edge and node is listed below.</p>"
)


def node_lines(node: Mapping[str, Any]) -> list[str]:
    """What a node's box says: kind, label, status (with a short reason when broken), digest."""
    lines = [node["kind"], _short(node["label"], 40), node["status"]]
    if node["status"] in _BROKEN and node.get("reason"):
        lines[2] += ": " + _short(node["reason"], 48)
    if node.get("digest"):
        lines.append(f"sha256 {node['digest'][:16]}…")
    return lines


def verdict(document: Mapping[str, Any]) -> str:
    """One line: how many nodes, and what is broken."""
    nodes = document["nodes"]
    broken = [n for n in nodes if n["status"] in _BROKEN]
    text = f"{len(nodes)} nodes, {len(document['edges'])} edges"
    if broken or document["problems"]:
        parts = [f"{n['label']} {n['status']}" for n in broken] + list(document["problems"])
        return f"BROKEN lineage: {'; '.join(parts)} ({text})"
    if document["exitCode"] == 3:
        return f"lineage complete, some bundles not verified: give trust material ({text})"
    return f"lineage complete and verified ({text})"


def render_mermaid(document: Mapping[str, Any]) -> str:
    """A Mermaid flowchart (paste into Markdown that renders Mermaid)."""
    ids = _ids(document)
    lines = ["flowchart BT"]
    for node in document["nodes"]:
        text = "<br/>".join(_mermaid_text(line) for line in node_lines(node))
        lines.append(f'  {ids[node["id"]]}["{text}"]')
        lines.append(f"  class {ids[node['id']]} {status_class(node['status'])}")
    for edge, broken in _edges(document):
        arrow = "-.->" if broken else "-->"
        label = f"{edge['relation']}: {broken}" if broken else edge["relation"]
        lines.append(f"  {ids[edge['source']]} {arrow}|{label}| {ids[edge['target']]}")
    for name, (fill, stroke) in STATUS_COLOURS.items():
        lines.append(f"  classDef {name} fill:{fill},stroke:{stroke},color:#1a1a1a")
    return "\n".join(lines) + "\n"


def render_dot(document: Mapping[str, Any]) -> str:
    """A Graphviz digraph (``dot -Tsvg``)."""
    ids = _ids(document)
    lines = [
        "digraph lineage {",
        "  rankdir=BT;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for node in document["nodes"]:
        fill, stroke = STATUS_COLOURS[status_class(node["status"])]
        label = "\\n".join(_dot_text(line) for line in node_lines(node))
        tooltip = _dot_text(f"{node['id']}: {node.get('reason') or node['status']}")
        lines.append(
            f'  {ids[node["id"]]} [label="{label}", fillcolor="{fill}", color="{stroke}", '
            f'tooltip="{tooltip}"];'
        )
    for edge, broken in _edges(document):
        style = ', style=dashed, color="#b00020", fontcolor="#b00020"' if broken else ""
        label = f"{edge['relation']}: {broken}" if broken else edge["relation"]
        lines.append(f'  {ids[edge["source"]]} -> {ids[edge["target"]]} [label="{label}"{style}];')
    return "\n".join([*lines, "}"]) + "\n"


def render_svg(document: Mapping[str, Any]) -> str | None:
    """The graph as inline SVG, laid out by Graphviz; None when ``dot`` is not installed."""
    from mbom.forensics._graphviz import dot_svg

    return dot_svg(render_dot(document))


def render_html_section(document: Mapping[str, Any]) -> str:
    """The graph, a table of its nodes, problems, and the Mermaid text (no page around it)."""
    rows = [
        (
            esc(node["kind"]),
            esc_breakable(node["label"]),
            status_badge(node["status"]),
            esc_breakable(node.get("reason") or ""),
            f'<span class="mono">{esc_breakable(node.get("digest") or "")}</span>',
            f'<span class="mono">{esc_breakable(node.get("serialNumber") or "")}</span>',
            esc_breakable(node.get("source") or node.get("detail") or ""),
        )
        for node in document["nodes"]
    ]
    problems = "".join(f"<li>{esc(p)}</li>" for p in document["problems"])
    svg = render_svg(document)
    drawing = [svg] if svg is not None else [_NO_DOT, _edge_table(document)]
    return "\n".join(
        [
            *drawing,
            table(("kind", "name", "status", "why", "digest (sha256)", "serial", "source"), rows),
            f'<ul class="problems">{problems}</ul>' if problems else "",
            "<details open><summary>Mermaid</summary>",
            f"<pre>{esc(render_mermaid(document))}</pre></details>",
        ]
    )


def render_html(document: Mapping[str, Any]) -> str:
    """A self-contained page: verdict, graph, nodes, Mermaid text."""
    good = document["exitCode"] == 0
    body = (
        "<h1>Model lineage</h1>\n"
        f'<p class="verdict {"ok" if good else "bad"}">{esc(verdict(document))}</p>\n'
        f"{render_html_section(document)}"
    )
    return page("mbom lineage", body)


def _ids(document: Mapping[str, Any]) -> dict[str, str]:
    return {node["id"]: f"n{index}" for index, node in enumerate(document["nodes"])}


def _edges(document: Mapping[str, Any]) -> list[tuple[Mapping[str, str], str]]:
    """Each edge with the status of a broken target ("" when the link holds)."""
    status = {node["id"]: node["status"] for node in document["nodes"]}
    return [
        (edge, status[edge["target"]] if status.get(edge["target"]) in _BROKEN else "")
        for edge in document["edges"]
    ]


def _edge_table(document: Mapping[str, Any]) -> str:
    """Every edge as a row: the graph's content when it cannot be drawn."""
    labels = {node["id"]: node["label"] for node in document["nodes"]}
    rows = [
        (
            esc_breakable(labels.get(edge["source"], edge["source"])),
            esc(edge["relation"]),
            esc_breakable(labels.get(edge["target"], edge["target"])),
            status_badge(broken) if broken else "",
        )
        for edge, broken in _edges(document)
    ]
    return table(("from", "relation", "to", "broken link"), rows)


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mermaid_text(text: str) -> str:
    """Mermaid entity codes for the characters that end or break a quoted label."""
    for char, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(char, code)
    return text.replace("&", "#amp;")


def _dot_text(text: str) -> str:
    return " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')
