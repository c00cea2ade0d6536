"""``mbom diff A B``: what changed between two BOMs or bundles; exit 1 when they differ."""

from __future__ import annotations

import click

from mbom.cli._output import format_option


@click.command("diff")
@click.argument("a", type=str)
@click.argument("b", type=str)
@format_option("text", "json", "markdown")
def diff_command(a: str, b: str, output_format: str) -> None:
    """Compare two BOMs or signed bundles: model files, datasets, configs, hyperparameters,
    lineage, environment packages, model card and signers.

    Exit 0 when equal, 1 when different (like diff), 2 when either cannot be read.
    """
    from mbom.forensics.diff import diff_paths
    from mbom.forensics.diff_render import render_markdown, render_text

    report = diff_paths(a, b).to_json()
    if output_format == "json":
        from mbom.cli._output import echo_json

        echo_json(report)
    elif output_format == "markdown":
        click.echo(render_markdown(report), nl=False)
    else:
        click.echo(render_text(report))
    if not report["equal"]:
        raise click.exceptions.Exit(1)
