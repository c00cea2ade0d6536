"""``mbom lineage``: the graph of models, parents, datasets and checkpoints, each verified."""

from __future__ import annotations

from typing import Any

import click

from mbom._one_line import one_line
from mbom.cli._trust_options import trust_fields, trust_options

FORMATS = ("mermaid", "dot", "json", "html")
#: file name ending -> format, when -o is given without --format
BY_SUFFIX = {".html": "html", ".htm": "html", ".dot": "dot", ".gv": "dot", ".json": "json"}


@click.command("lineage")
@click.argument("paths", nargs=-1, required=True, metavar="BOM_OR_BUNDLE...")
@click.option(
    "--search",
    multiple=True,
    metavar="DIR",
    help="Folder of BOMs and bundles to find parents in by serial number (repeatable).",
)
@trust_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default=None,
    help="[default: from -o's extension (.html, .dot, .json), else mermaid]",
)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (atomically), not stdout.")
def lineage_command(
    paths: tuple[str, ...],
    search: tuple[str, ...],
    output_format: str | None,
    output: str | None,
    **trust_flags: Any,
) -> int:
    """Follow the parents of each BOM or bundle into a lineage graph and verify every node.

    Exit 0 every bundle verified and no parent missing, 1 a broken link (a parent missing or
    failing), 2 input error, 3 bundles could not be verified (give --key or --identity).
    """
    from mbom.cli._output import chosen_format, deliver
    from mbom.forensics.lineage import build_lineage
    from mbom.forensics.lineage_render import verdict
    from mbom.verify.trust import load_trust

    trust = load_trust(**trust_fields(trust_flags))
    graph = build_lineage(list(paths), search=list(search), trust=trust)
    document = graph.to_json()
    deliver(render(document, chosen_format(output_format, output, BY_SUFFIX, "mermaid")), output)
    click.echo(one_line(f"mbom lineage: {verdict(document)}"), err=True)
    return graph.exit_code


def render(document: dict, output_format: str) -> str:
    """The graph in one of :data:`FORMATS`."""
    from mbom.forensics import lineage_render

    if output_format == "json":
        import json

        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return {
        "mermaid": lineage_render.render_mermaid,
        "dot": lineage_render.render_dot,
        "html": lineage_render.render_html,
    }[output_format](document)
