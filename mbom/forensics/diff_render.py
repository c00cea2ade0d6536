"""Text and Markdown forms of a diff report (the JSON form is ``BomDiff.to_json()``).

Both read the JSON document, so what people read and what machines read never disagree.
Digests are printed in full: an auditor compares them with other records. Each line is one
line whatever the two BOMs hold (:func:`mbom._one_line.one_line`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mbom._one_line import one_line

_MARK = {"added": "+", "removed": "-", "changed": "~"}


def show(value: Any) -> str:
    """A value on one line: mappings as ``key value`` pairs, nested hashes flattened."""
    if value is None:
        return "-"
    if isinstance(value, Mapping):
        parts = []
        for key in sorted(value):
            item = value[key]
            if isinstance(item, Mapping):
                parts += [f"{k} {v}" for k, v in sorted(item.items())]
            else:
                parts.append(f"{key} {item}")
        return ", ".join(parts)
    return str(value)


def _label(change: Mapping[str, Any]) -> str:
    return f"{change['dataset']}: {change['key']}" if "dataset" in change else change["key"]


def _header(report: Mapping[str, Any], side: str) -> str:
    doc = report[side]
    return f"{doc['path']} ({doc['kind']}, {doc['serialNumber'] or 'no serial number'})"


def render_text(report: Mapping[str, Any]) -> str:
    """Unified-diff-like text: one section per category, ``+``/``-``/``~`` per change."""
    lines = [f"--- {_header(report, 'a')}", f"+++ {_header(report, 'b')}"]
    current = None
    for change in report["changes"]:
        if change["category"] != current:
            current = change["category"]
            lines.append(current)
        mark = _MARK[change["change"]]
        if change["change"] == "changed":
            lines.append(f"  {mark} {_label(change)}")
            lines.append(f"      before: {show(change.get('before'))}")
            lines.append(f"      after:  {show(change.get('after'))}")
        else:
            value = change.get("after" if change["change"] == "added" else "before")
            lines.append(f"  {mark} {_label(change)}  {show(value)}")
    lines.append(_verdict(report))
    lines += [f"note: {note}" for note in report.get("notes", ())]
    return "\n".join(one_line(line) for line in lines)


def render_markdown(report: Mapping[str, Any]) -> str:
    """A Markdown section: the two documents, then one table per category."""
    lines = [
        "# mbom diff",
        "",
        f"* **A:** `{_header(report, 'a')}`",
        f"* **B:** `{_header(report, 'b')}`",
        f"* **Result:** {_verdict(report)}",
    ]
    current = None
    for change in report["changes"]:
        if change["category"] != current:
            current = change["category"]
            lines += ["", f"## {current}", "", "| change | item | A | B |", "|---|---|---|---|"]
        cells = (
            change["change"],
            _label(change),
            show(change.get("before")) if "before" in change else "",
            show(change.get("after")) if "after" in change else "",
        )
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if report.get("notes"):
        lines += ["", *[f"> {note}" for note in report["notes"]]]
    return "\n".join(one_line(line) for line in lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _verdict(report: Mapping[str, Any]) -> str:
    if report["equal"]:
        return "no differences"
    counts = ", ".join(f"{name} {count}" for name, count in report["summary"].items())
    total = sum(report["summary"].values())
    return f"{total} difference{'s' if total != 1 else ''} ({counts})"
