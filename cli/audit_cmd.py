"""``mbom audit``: verify PATH and write one report an auditor can file (HTML, Markdown, JSON)."""

from __future__ import annotations

from typing import Any

import click

from mbom._one_line import one_line
from mbom.cli._output import jobs_option
from mbom.cli._trust_options import trust_options, verify_request

FORMATS = ("html", "markdown", "json")
#: file name ending -> format, when -o is given without --format
BY_SUFFIX = {".html": "html", ".htm": "html", ".json": "json", ".md": "markdown"}


@click.command("audit")
@click.argument("path", type=str)
@click.option(
    "--bundle",
    "bundles",
    multiple=True,
    metavar="BUNDLE_FILE",
    help="Attestation about PATH (repeatable).",
)
@trust_options
@click.option("--policy", metavar="POLICY_FILE", help="Policy file, as for mbom verify.")
@click.option(
    "--datasets",
    metavar="ROOT",
    help="Re-hash the BOM's datasets found under ROOT: a folder, or a URL prefix "
    "(s3://BUCKET/...) under which datasets recorded there are re-hashed where they live.",
)
@click.option(
    "--parent",
    "parents",
    multiple=True,
    metavar="BUNDLE_FILE",
    help="Bundle of a parent model (repeatable).",
)
@click.option(
    "--search", multiple=True, metavar="DIR", help="Folder to find parents in (repeatable)."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default=None,
    help="[default: from -o's extension (.html, .md, .json); markdown on stdout]",
)
@click.option("-o", "--output", metavar="FILE", help="Write the report to FILE (atomically).")
@jobs_option()
def audit_command(
    path: str,
    bundles: tuple[str, ...],
    policy: str | None,
    datasets: str | None,
    parents: tuple[str, ...],
    search: tuple[str, ...],
    output_format: str | None,
    output: str | None,
    jobs: int | None,
    **trust_flags: Any,
) -> int:
    """Verify PATH against its bundles and write an audit report: outcome and every check,
    signers and signing times, digests, datasets, configs, environment, lineage, evidence.

    The report is written even when verification fails. Exit code: the verification outcome
    (0 verified, 1 not verified, 3 could not evaluate); 2 input error (no report written).
    """
    from mbom.cli._output import chosen_format, deliver
    from mbom.forensics.audit import AuditRequest, audit

    chosen = chosen_format(output_format, output, BY_SUFFIX, "markdown")
    request = verify_request(
        path, bundles, trust_flags, policy=policy, datasets=datasets, parents=parents, jobs=jobs
    )
    report = audit(AuditRequest(request, search=search))
    deliver(render(report.document, chosen), output)
    if output:
        click.echo(one_line(f"wrote {output}: {_summary(report.document)}"), err=True)
    return report.exit_code


def render(document: dict, output_format: str) -> str:
    """The report in one of :data:`FORMATS`."""
    if output_format == "json":
        import json

        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    from mbom.forensics import audit_render

    if output_format == "html":
        return audit_render.render_html(document)
    return audit_render.render_markdown(document)


def _summary(document: dict) -> str:
    from mbom.forensics.audit_render import outcome

    failed = sum(1 for check in document["checks"] if check["status"] == "fail")
    return f"{outcome(document)}, {len(document['checks'])} checks, {failed} failed"
