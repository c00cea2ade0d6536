"""Self-contained HTML pages for lineage graphs and audit reports.

Usage::

    from mbom.forensics._html import esc, page, status_badge

    html = page("Lineage", "<h1>" + esc(name) + "</h1>")

One stylesheet, inline; no script, no external asset, nothing fetched: the page opens from
a file, offline, and prints legibly (``@media print``). Every string that came from a BOM or
bundle is untrusted: it goes through :func:`esc` (the renderers escape at the point of use).
"""

from __future__ import annotations

import re
from html import escape

_LONG_TOKEN = 20
_BREAK_AFTER = re.compile(r"([/._:\-])")

#: status -> colour class of its badge
_STATUS_CLASS = {
    "verified": "ok",
    "pass": "ok",
    "failed": "bad",
    "fail": "bad",
    "missing": "bad",
    "unverified": "warn",
    "warn": "warn",
    "unsigned": "warn",
    "external": "info",
    "recorded": "info",
    "skip": "info",
}

#: status -> (fill, stroke) of a graph node
STATUS_COLOURS = {
    "ok": ("#e3f4e8", "#1e7e34"),
    "bad": ("#fbe3e4", "#b00020"),
    "warn": ("#fff4d6", "#9a6700"),
    "info": ("#eef1f5", "#4a5568"),
}

_CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       color: #1a1a1a; background: #fff; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; border-bottom: 1px solid #ccc; padding-bottom: .2rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid #ccc; padding: .25rem .45rem; text-align: left; vertical-align: top;
         overflow-wrap: break-word; word-break: normal; hyphens: manual; }
th { background: #f3f3f3; white-space: nowrap; }
code, .mono, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
       font-size: 12px; overflow-wrap: break-word; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: .6rem; white-space: pre-wrap;
      overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: .6rem; font-weight: 600;
         border: 1px solid; white-space: nowrap; }
.ok { color: #1e7e34; background: #e3f4e8; border-color: #1e7e34; }
.bad { color: #b00020; background: #fbe3e4; border-color: #b00020; }
.warn { color: #9a6700; background: #fff4d6; border-color: #9a6700; }
.info { color: #4a5568; background: #eef1f5; border-color: #4a5568; }
.verdict { font-size: 1.3rem; padding: .5rem .8rem; border: 2px solid; border-radius: .4rem;
           display: inline-block; margin: .6rem 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: break-word; min-width: 0; }
svg.graph { display: block; max-width: 100%; height: auto; border: 1px solid #ddd; }
p.note { color: #4a5568; }
@media print {
  body { margin: 0; max-width: none; font-size: 11px; }
  h2 { break-after: avoid; }
  tr, svg.graph, .verdict { break-inside: avoid; }
  .badge, .verdict, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  pre { white-space: pre-wrap; }
}
"""


def esc(value: object) -> str:
    """``value`` as HTML text (quotes included, so it is safe in attributes too)."""
    return escape("" if value is None else str(value), quote=True)


def esc_breakable(value: object) -> str:
    """:func:`esc`, with break opportunities (``<wbr>``) after ``/ . _ : -`` inside long
    tokens (paths, file names, URLs), so a narrow column wraps them there, never mid-word."""
    return " ".join(
        _breakable(token) if len(token) > _LONG_TOKEN else esc(token)
        for token in ("" if value is None else str(value)).split(" ")
    )


def _breakable(token: str) -> str:
    pieces = _BREAK_AFTER.split(token)  # text, separator, text, ...
    out = []
    for index, piece in enumerate(pieces):
        if index % 2:
            out.append(esc(piece) + "<wbr>")
        else:  # a digest or any run too long to be a word: a break every 16 characters
            chunks = [piece[i : i + 16] for i in range(0, len(piece), 16)] if piece else []
            out.append("<wbr>".join(esc(chunk) for chunk in chunks))
    return "".join(out)


def status_class(status: str) -> str:
    return _STATUS_CLASS.get(status.split(":", 1)[0], "info")


def status_badge(status: str) -> str:
    return f'<span class="badge {status_class(status)}">{esc(status)}</span>'


def page(title: str, body: str) -> str:
    """A whole HTML document around ``body`` (already escaped HTML)."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">\n"
        f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )


def table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A table of already escaped cells."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
