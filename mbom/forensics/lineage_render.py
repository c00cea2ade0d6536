"""Mermaid, Graphviz DOT and self-contained HTML forms of a lineage graph.

Usage::

    from mbom.forensics.lineage_render import render_dot, render_html, render_mermaid

    document = graph.to_json()          # mbom.forensics.lineage.LineageGraph
    render_mermaid(document); render_dot(document); render_html(document)

Each reads the JSON document, so every form says the same thing. Parents sit above their
children. A broken link (a parent missing or failing verification) is a dashed red edge
labelled with the parent's status, and the node says ``missing`` or ``failed``. Labels come
from BOMs, which are untrusted: each format escapes them its own way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mbom.forensics._html import STATUS_COLOURS, esc, page, status_badge, status_class, table

_BROKEN = ("failed", "missing")
_KIND_ORDER = {"model": 0, "base-model": 1, "dataset": 2, "checkpoint": 3}
_W, _H, _HGAP, _VGAP, _PAD = 240, 84, 36, 64, 16


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


def render_svg(document: Mapping[str, Any]) -> str:
    """An inline SVG drawing: one row per generation, oldest on top."""
    placed = _layout(document)
    width = max((x for x, _ in placed.values()), default=0) + _W + 2 * _PAD
    height = max((y for _, y in placed.values()), default=0) + _H + 2 * _PAD
    parts = [
        f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'style="max-width: {width}px" role="img" aria-label="lineage graph">',
        "<defs>",
        *(
            f'<marker id="arrow-{name}" viewBox="0 0 10 10" refX="10" refY="5" '
            f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
            for name, colour in (("ok", "#555"), ("bad", "#b00020"))
        ),
        "</defs>",
    ]
    for edge, broken in _edges(document):
        parts.append(_svg_edge(placed[edge["source"]], placed[edge["target"]], edge, broken))
    for node in document["nodes"]:
        parts.append(_svg_node(node, *placed[node["id"]]))
    parts.append("</svg>")
    return "\n".join(parts)


def render_html_section(document: Mapping[str, Any]) -> str:
    """The graph, a table of its nodes, problems, and the Mermaid text (no page around it)."""
    rows = [
        (
            esc(node["kind"]),
            esc(node["label"]),
            status_badge(node["status"]),
            esc(node.get("reason") or ""),
            f'<span class="mono">{esc(node.get("digest") or "")}</span>',
            f'<span class="mono">{esc(node.get("serialNumber") or "")}</span>',
            esc(node.get("source") or node.get("detail") or ""),
        )
        for node in document["nodes"]
    ]
    problems = "".join(f"<li>{esc(p)}</li>" for p in document["problems"])
    return "\n".join(
        [
            render_svg(document),
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


def _layout(document: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
    nodes: Sequence[Mapping[str, Any]] = document["nodes"]
    generation = {root: 0 for root in document["roots"]}
    for _ in nodes:  # longest path from a root; bounded, so a cycle cannot loop
        for edge in document["edges"]:
            if edge["relation"] == "derived-from" and edge["source"] in generation:
                below = generation[edge["source"]] + 1
                if generation.get(edge["target"], -1) < below <= len(nodes):
                    generation[edge["target"]] = below
    for edge in document["edges"]:  # datasets beside their model, checkpoints beside theirs
        if edge["relation"] == "trained-on" and edge["source"] in generation:
            generation.setdefault(edge["target"], generation[edge["source"]])
        elif edge["relation"] == "checkpoint-of" and edge["target"] in generation:
            generation.setdefault(edge["source"], generation[edge["target"]])
    top = max(generation.values(), default=0)
    rows: dict[int, list[Mapping[str, Any]]] = {}
    for _index, node in sorted(
        enumerate(nodes), key=lambda item: (_KIND_ORDER.get(item[1]["kind"], 9), item[0])
    ):
        rows.setdefault(top - generation.get(node["id"], 0), []).append(node)
    return {
        node["id"]: (_PAD + column * (_W + _HGAP), _PAD + row * (_H + _VGAP))
        for row, members in rows.items()
        for column, node in enumerate(members)
    }


def _svg_node(node: Mapping[str, Any], x: int, y: int) -> str:
    fill, stroke = STATUS_COLOURS[status_class(node["status"])]
    dash = ' stroke-dasharray="6 4"' if node["status"] == "missing" else ""
    lines = node_lines(node)
    styles = (
        ('font-size="10" fill="#555"', lines[0].upper()),
        ('font-size="13" font-weight="600" fill="#1a1a1a"', lines[1]),
        (f'font-size="11" font-weight="600" fill="{stroke}"', lines[2]),
        *(('font-size="10" fill="#333" font-family="monospace"', line) for line in lines[3:]),
    )
    texts = "".join(
        f'<text x="{x + 10}" y="{y + 17 + 18 * row}" {style}>{esc(_short(text, 44))}</text>'
        for row, (style, text) in enumerate(styles)
    )
    title = f"{node['label']} ({node['kind']}): {node['status']}"
    if node.get("reason"):
        title += f" - {node['reason']}"
    return (
        f'<g><title>{esc(title)}</title><rect x="{x}" y="{y}" width="{_W}" height="{_H}" '
        f'rx="8" fill="{fill}" stroke="{stroke}" stroke-width="1.5"{dash}/>{texts}</g>'
    )


def _svg_edge(
    source: tuple[int, int], target: tuple[int, int], edge: Mapping[str, str], broken: str
) -> str:
    (x1, y1), (x2, y2) = _centre(source), _centre(target)
    ax, ay = _clip(x1, y1, x2 - x1, y2 - y1)
    bx, by = _clip(x2, y2, x1 - x2, y1 - y2)
    colour, marker = ("#b00020", "bad") if broken else ("#555", "ok")
    dash = ' stroke-dasharray="6 4"' if broken else ""
    label = f"{edge['relation']}: {broken}" if broken else edge["relation"]
    mx, my = (ax + bx) / 2, (ay + by) / 2
    return (
        f'<line x1="{ax:.0f}" y1="{ay:.0f}" x2="{bx:.0f}" y2="{by:.0f}" stroke="{colour}" '
        f'stroke-width="1.5"{dash} marker-end="url(#arrow-{marker})"/>'
        f'<text x="{mx:.0f}" y="{my:.0f}" font-size="10" fill="{colour}" text-anchor="middle" '
        f'stroke="#fff" stroke-width="3" paint-order="stroke">{esc(label)}</text>'
    )


def _centre(corner: tuple[int, int]) -> tuple[float, float]:
    return corner[0] + _W / 2, corner[1] + _H / 2


def _clip(x: float, y: float, dx: float, dy: float) -> tuple[float, float]:
    """Where the ray from a box's centre along (dx, dy) leaves the box."""
    scale = min(
        (_W / 2) / abs(dx) if dx else float("inf"), (_H / 2) / abs(dy) if dy else float("inf")
    )
    scale = 0 if scale == float("inf") else scale
    return x + dx * scale, y + dy * scale


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
