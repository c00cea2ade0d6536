"""``mbom export``: a BOM (or the BOM in a bundle) in another format; SPDX 3.0.1 for now."""

from __future__ import annotations

import click


@click.command("export")
@click.argument("bom", type=click.Path(dir_okay=False), metavar="BOM")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(("spdx3",)),
    default="spdx3",
    show_default=True,
    help="spdx3: SPDX 3.0.1 JSON-LD with the AI and Dataset profiles (docs/spdx.md).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    metavar="FILE",
    help="Write here (atomically) instead of standard output.",
)
def export_command(bom: str, output_format: str, output: str | None) -> None:
    """Export BOM (a CycloneDX BOM or a bundle carrying one) as SPDX 3.0.1 JSON-LD."""
    from mbom.bom.parents import load_bom_or_bundle
    from mbom.errors import InputError

    document, _ = load_bom_or_bundle(bom)
    try:
        from mbom.bom.spdx3 import bom_to_spdx3

        text = bom_to_spdx3(document)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("spdx_python_model"):
            raise InputError(
                "SPDX export needs spdx-python-model: pip install 'mbom[spdx]'"
            ) from None
        raise
    if output is None:
        click.echo(text, nl=False)
        return
    from mbom._atomic import write_atomic

    write_atomic(output, text.encode("utf-8"))
    click.echo(f"wrote {output} (SPDX 3.0.1, from {bom})", err=True)
