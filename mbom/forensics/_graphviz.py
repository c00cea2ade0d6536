"""Lay a DOT graph out with Graphviz (``dot -Tsvg``) and keep only inert SVG from its output.

Usage::

    from mbom.forensics._graphviz import dot_svg

    svg = dot_svg(render_dot(document))   # None when Graphviz is not installed or fails
    if svg is not None:
        html += svg                        # inline, safe to embed in the audit page

Layout is Graphviz's job (Debian package ``graphviz``): boxes sized to their text, edges
routed around boxes, labels placed where they do not collide. The labels come from BOMs and
bundles, which are untrusted, so the SVG is not pasted as ``dot`` wrote it: it is parsed and
rebuilt from an allow-list of drawing elements and attributes (no links, scripts, styles,
foreign objects, ids or ``url(...)`` values), every text escaped again.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from html import escape

DOT_TIMEOUT_S = 60
MAX_SVG_BYTES = 16 << 20
_SVG_NS = "{http://www.w3.org/2000/svg}"
#: drawing elements kept; ``a`` (dot's tooltip wrapper) is unwrapped: its children are kept
_ELEMENTS = frozenset({"svg", "g", "title", "polygon", "polyline", "path", "ellipse", "text"})
_UNWRAP = frozenset({"a"})
_ATTRIBUTES = frozenset(
    {
        "width", "height", "viewBox", "transform", "points", "d", "fill", "stroke",
        "stroke-width", "stroke-dasharray", "fill-opacity", "stroke-opacity", "font-family",
        "font-size", "font-weight", "font-style", "text-anchor", "x", "y", "cx", "cy", "rx",
        "ry", "class",
    }
)  # fmt: skip
_SAFE_VALUE = re.compile(r"[\w#.,\- ]*")
_SAFE_TRANSFORM = re.compile(r"(?:\s*(?:scale|rotate|translate)\([-\d. ,]*\))*\s*")


def dot_svg(dot_source: str) -> str | None:
    """The SVG Graphviz draws for ``dot_source``, sanitised; None when ``dot`` is unavailable."""
    dot = shutil.which("dot")
    if dot is None:
        return None
    try:
        done = subprocess.run(
            [dot, "-Tsvg"],
            input=dot_source.encode("utf-8"),
            capture_output=True,
            timeout=DOT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0 or len(done.stdout) > MAX_SVG_BYTES:
        return None
    return sanitise_svg(done.stdout)


def sanitise_svg(data: bytes) -> str | None:
    """Rebuild SVG from the allow-list; None when it does not parse as one ``<svg>`` element."""
    text = data.decode("utf-8", "replace")
    if "<!ENTITY" in text:  # dot declares none; expanding them is a memory bomb
        return None
    text = re.sub(r"<!DOCTYPE[^>\[]*>", "", text, count=1)
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return None
    if _local(root.tag) != "svg":
        return None
    return _element(root, top=True)


def _local(tag: object) -> str:
    name = str(tag)
    return name[len(_SVG_NS) :] if name.startswith(_SVG_NS) else name if "}" not in name else ""


def _element(node: ElementTree.Element, *, top: bool = False) -> str:
    name = _local(node.tag)
    inner = escape(node.text or "") + "".join(
        _element(child) + escape(child.tail or "") for child in node
    )
    if name in _UNWRAP:
        return inner
    if name not in _ELEMENTS:
        return ""
    attributes = [
        f'{key}="{escape(value)}"'
        for key, value in node.attrib.items()
        if key in _ATTRIBUTES and _allowed(key, value)
    ]
    if top:
        attributes += [
            'xmlns="http://www.w3.org/2000/svg"',
            'role="img"',
            'aria-label="lineage graph"',
        ]
        attributes = [a for a in attributes if not a.startswith("class=")] + ['class="graph"']
    return f"<{name} {' '.join(attributes)}>{inner}</{name}>"


def _allowed(key: str, value: str) -> bool:
    pattern = _SAFE_TRANSFORM if key == "transform" else _SAFE_VALUE
    return pattern.fullmatch(value) is not None
