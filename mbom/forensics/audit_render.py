"""HTML and Markdown forms of an audit report (the JSON form is ``AuditReport.document``).

Usage::

    from mbom.forensics.audit_render import render_html, render_markdown

    html = render_html(report.document)       # self-contained, prints legibly
    text = render_markdown(report.document)

Both are built from one list of sections read from the JSON document, so the page, the
Markdown and the JSON never disagree. Digests are printed in full. Every string from a BOM or
bundle is escaped (HTML) or has its table-breaking characters neutralised (Markdown).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mbom._one_line import one_line
from mbom.forensics._html import esc, esc_breakable, page, status_badge, table
from mbom.forensics.lineage_render import render_html_section, render_mermaid, verdict

FACTS, TABLE, LINEAGE = "facts", "table", "lineage"
#: table columns printed in a monospace font (digests, serial numbers)
_MODEL_WORDS = (("architecture", "architecture"), ("task", "task"), ("family", "family"))
_MONO = {"sha256", "digest (sha256)", "Merkle root", "expected", "actual", "key / identity"}


@dataclass(frozen=True, slots=True)
class Section:
    """One part of the report: key/value facts, a table, or the lineage graph."""

    title: str
    kind: str
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    note: str = ""


def outcome(document: Mapping[str, Any]) -> str:
    """The verdict in words."""
    code = document["exitCode"]
    if document["verified"]:
        return "VERIFIED"
    return "COULD NOT BE EVALUATED" if code == 3 else "NOT VERIFIED"


def sections(document: Mapping[str, Any]) -> list[Section]:
    """The report's parts in reading order; absent parts are left out."""
    evidence = document["evidence"]
    trust = evidence["trust"]
    facts = [
        ("outcome", f"{outcome(document)} (exit code {document['exitCode']})"),
        ("subject (PATH)", document["subject"]),
        ("BOM serial number", evidence["bomSerialNumber"] or "none"),
        ("files verified on disk", str(evidence["filesVerified"])),
        ("audited at (UTC)", evidence["auditedAt"]),
        ("tool", f"{evidence['tool']['name']} {evidence['tool']['version']}"),
        ("policy", _file(evidence["policy"])),
        *((f"bundle {i + 1}", _file(b)) for i, b in enumerate(evidence["bundles"])),
        *((f"parent bundle {i + 1}", _file(b)) for i, b in enumerate(evidence["parents"])),
        *((f"trusted key {i + 1}", _file(k)) for i, k in enumerate(trust["keys"])),
        *(
            (f"trusted identity {i + 1}", f"{r['identity']} from {r['issuer']}")
            for i, r in enumerate(trust["identities"])
        ),
        ("trusted root", _file(trust["trustedRoot"])),
        ("trust config", _file(trust["trustConfig"])),
    ]
    parts = [Section("Evidence", FACTS, rows=tuple(facts))]
    parts.append(_checks_section(document))
    parts.append(_signers_section(document))
    parts += _model_sections(document)
    parts += _training_sections(document)
    if document["lineage"] is not None:
        parts.append(Section("Lineage", LINEAGE, note=verdict(document["lineage"])))
    return [_without_empty_columns(part) for part in parts]


def _without_empty_columns(part: Section) -> Section:
    """A table without the columns no row fills (path, expected, actual are often empty)."""
    if part.kind != TABLE or not part.rows:
        return part
    keep = [i for i in range(len(part.headers)) if any(row[i] for row in part.rows)]
    return Section(
        part.title,
        part.kind,
        tuple(part.headers[i] for i in keep),
        tuple(tuple(row[i] for i in keep) for row in part.rows),
        part.note,
    )


def _checks_section(document: Mapping[str, Any]) -> Section:
    """Every check; the bundle column only when the checks are about several bundles."""
    checks = document["checks"]
    bundles = {c.get("bundle") for c in checks if c.get("bundle")}
    keys = ("status", "id", "message", "path", "expected", "actual", "bundle")
    if len(bundles) <= 1:
        keys = keys[:-1]
    rows = tuple(tuple(c.get(k) or "" for k in keys) for c in checks)
    headers = tuple("check" if k == "id" else k for k in keys)
    note = f"Checks of bundle {next(iter(bundles))}." if len(bundles) == 1 else ""
    return Section("Checks", TABLE, headers, rows, note=note)


def _signers_section(document: Mapping[str, Any]) -> Section:
    """Every signer of every bundle: what each bundle states, and whether it verified."""
    headers = ("bundle", "key / identity", "issuer", "verified", "log integrated time (UTC)")
    stated = document.get("bundleSigners")
    if stated is None:  # a report from before bundleSigners: the verified signers only
        stated = [{**s, "key": s.get("keyHint"), "verified": True} for s in document["signers"]]
    rows = tuple(
        (
            s["bundle"],
            s.get("identity") or s.get("key") or s.get("certificate") or "",
            s.get("issuer") or "",
            "pass" if s["verified"] else "fail" if "error" not in s else f"fail: {s['error']}",
            s.get("integratedTime") or ("not logged (key signature)" if s.get("key") else ""),
        )
        for s in stated
    )
    verified = sum(1 for s in stated if s["verified"])
    note = f"{verified} of {len(stated)} signers verified." if stated else "No signature found."
    return Section("Signers", TABLE, headers, rows, note=note)


def _model_sections(document: Mapping[str, Any]) -> list[Section]:
    model = document["model"]
    if model is None:
        return [Section("Model", FACTS, note="No MBOM attestation: no BOM to describe.")]
    facts = (
        ("name", model["name"] or ""),
        ("version", model["version"] or ""),
        ("licences", ", ".join(model["licenses"]) or "none recorded"),
        *((words, str(model[key])) for key, words in _MODEL_WORDS if model.get(key)),
        ("Merkle root (sha256)", model["merkleRoot"] or "none recorded"),
        ("files", f"{model['fileCount']} ({model['bytes'] or '?'} bytes)"),
        *(
            (("tensors", f"{model['tensors']:,}"), ("parameters", f"{model['parameters'] or 0:,}"))
            if model.get("tensors") is not None
            else ()
        ),
    )
    parts = [
        Section("Model", FACTS, rows=facts),
        Section(
            "Model files",
            TABLE,
            ("path", "role", "format", "size", "safety", "parsed facts", "sha256"),
            tuple(
                (
                    f["path"],
                    f.get("role", ""),
                    f.get("format") or "",
                    str(f["size"] if f["size"] is not None else ""),
                    f.get("safety", "") + (f" ({f['findings']})" if f.get("findings") else ""),
                    _file_facts(f),
                    f["sha256"] or "",
                )
                for f in model["files"]
            ),
        ),
    ]
    if model["parents"]:
        parts.append(
            Section(
                "Parents (as the BOM records them)",
                TABLE,
                ("name", "version", "serial number / purl", "source"),
                tuple(
                    (
                        p["name"] or "",
                        p["version"] or "",
                        p["serialNumber"] or p["purl"] or "",
                        p["source"] or "",
                    )
                    for p in model["parents"]
                ),
            )
        )
    return parts


def _file_facts(item: Mapping[str, Any]) -> str:
    """Tensors, parameters and what the parser found, as one cell."""
    parts = [f"{item['tensors']:,} tensors"] if item.get("tensors") else []
    if item.get("parameters"):
        parts.append(f"{item['parameters']:,} parameters")
    parts += [f"{words}: {value}" for words, value in (item.get("facts") or {}).items()]
    return "; ".join(parts)


def _training_sections(document: Mapping[str, Any]) -> list[Section]:
    parts = []
    if document["datasets"]:
        parts.append(
            Section(
                "Datasets",
                TABLE,
                ("name", "location", "files", "bytes", "Merkle root"),
                tuple(
                    (
                        d["name"] or "",
                        d["location"] or "",
                        d["files"] or "",
                        d["bytes"] or "",
                        d["merkleRoot"] or ("not hashed (by reference)" if not d["hashed"] else ""),
                    )
                    for d in document["datasets"]
                ),
            )
        )
    if document["configs"]:
        parts.append(
            Section(
                "Configs",
                TABLE,
                ("name", "sha256"),
                tuple((c["name"] or "", c["sha256"] or "") for c in document["configs"]),
            )
        )
    for title, key in (("Hyperparameters", "hyperparameters"), ("Environment", "environment")):
        if document[key]:
            rows = tuple((str(k), str(v)) for k, v in document[key].items())
            parts.append(Section(title, FACTS, rows=rows))
    if document["checkpoints"]:
        parts.append(
            Section(
                "Checkpoints",
                TABLE,
                ("step", "path", "digest (sha256)"),
                tuple(
                    (
                        c.get("checkpoint:step", ""),
                        c.get("checkpoint:path", ""),
                        c.get("merkle-root:sha256") or c.get("checkpoint:sha256", ""),
                    )
                    for c in document["checkpoints"]
                ),
            )
        )
    run = document.get("run")
    if run:
        parts.append(_run_section(run))
    return parts


def _run_section(run: Mapping[str, Any]) -> Section:
    """The run's recoveries: where each resumed from, what it skipped and why."""
    rows = []
    for n, item in enumerate(run["recoveries"], 1):
        skipped = "; ".join(
            f"step {s.get('step')} {s.get('reason')}"
            + (f" ({', '.join(map(str, s['files']))})" if s.get("files") else "")
            for s in item.get("skipped") or ()
        )
        resumed = item.get("resumedFromStep")
        rows.append(
            (
                str(n),
                f"resumed from step {resumed}" if resumed is not None else "started again",
                skipped or "none",
                str(item.get("host") or ""),
            )
        )
    title = f"Run {run.get('id')} ({run.get('status')}): {len(rows)} recoveries"
    return Section(title, TABLE, ("#", "resume", "skipped checkpoints", "host"), tuple(rows))


def render_markdown(document: Mapping[str, Any]) -> str:
    """Markdown for a ticket or an incident report."""
    lines = ["# Model audit report", "", f"**{outcome(document)}**: `{_md(document['subject'])}`"]
    for part in sections(document):
        lines += ["", f"## {part.title}", ""]
        if part.note:
            lines += [_md(part.note), ""]
        if part.kind == LINEAGE:
            lineage = document["lineage"]
            lines += ["```mermaid", render_mermaid(lineage).rstrip("\n"), "```", ""]
            lines += _md_table(
                ("kind", "name", "status", "why", "digest (sha256)"),
                [
                    (
                        n["kind"],
                        n["label"],
                        n["status"],
                        n.get("reason") or "",
                        n.get("digest") or "",
                    )
                    for n in lineage["nodes"]
                ],
            )
        elif part.kind == FACTS:
            lines += (
                _md_table(("item", "value"), [tuple(row) for row in part.rows]) if part.rows else []
            )
        else:
            lines += _md_table(part.headers, list(part.rows)) if part.rows else []
    return "\n".join(lines).rstrip("\n") + "\n"


def render_html(document: Mapping[str, Any]) -> str:
    """A self-contained page (no script, no external asset) that prints legibly."""
    word = outcome(document)
    body = [
        "<h1>Model audit report</h1>",
        f'<p class="verdict {"ok" if document["verified"] else "bad"}">{esc(word)}: '
        f"<code>{esc(document['subject'])}</code></p>",
    ]
    for part in sections(document):
        body.append(f"<h2>{esc(part.title)}</h2>")
        if part.note:
            body.append(f"<p>{esc(part.note)}</p>")
        if part.kind == LINEAGE:
            body.append(render_html_section(document["lineage"]))
        elif part.kind == FACTS and part.rows:
            items = "".join(f"<dt>{esc(k)}</dt><dd>{_cell(k, v)}</dd>" for k, v in part.rows)
            body.append(f'<dl class="facts">{items}</dl>')
        elif part.rows:
            rows = [
                tuple(_cell(h, c) for h, c in zip(part.headers, row, strict=True))
                for row in part.rows
            ]
            body.append(table(part.headers, rows))
    return page(f"mbom audit: {document['subject']}", "\n".join(body))


def _cell(header: str, value: str) -> str:
    if header == "status":
        return status_badge(value)
    value = one_line(value)  # a name cannot reorder what the page shows (\u202e) or hide in it
    if header in _MONO or "sha256" in value or len(value) == 64:
        return f'<span class="mono">{esc_breakable(value)}</span>'
    return esc_breakable(value)


def _file(item: Mapping[str, Any] | None) -> str:
    if not item:
        return "none"
    return f"{item['path']} (sha256 {item['sha256'] or 'unreadable'})"


def _md(text: str) -> str:
    """A table cell: one line, shown as it is (Markdown goes to a terminal by default)."""
    return one_line(str(text).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;"))


def _md_table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    head = "| " + " | ".join(headers) + " |"
    return [
        head,
        "|" + "---|" * len(headers),
        *("| " + " | ".join(_md(c) for c in row) + " |" for row in rows),
    ]
