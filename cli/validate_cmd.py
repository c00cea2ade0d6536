"""``mbom validate``: schema (offline) and semantic checks of any CycloneDX BOM."""

from __future__ import annotations

import click

from mbom._one_line import one_line
from mbom.cli._output import format_option


@click.command("validate")
@click.argument("bom", type=str)
@format_option("text", "json")
def validate_command(bom: str, output_format: str) -> None:
    """Validate a CycloneDX JSON BOM: exit 0 valid (warnings allowed), 1 invalid, 2 not a BOM."""
    from mbom.bom.validate import validate_bom
    from mbom.errors import MalformedFileError

    result = validate_bom(bom)
    unparsable = [f for f in result.errors if f.code in ("not-json", "not-cyclonedx")]
    if unparsable:  # malformed input: one line, exit 2
        raise MalformedFileError(f"{bom}: {unparsable[0].message}", path=bom)
    if output_format == "json":
        from mbom.cli._output import echo_json

        def finding(item) -> dict:
            return {"code": item.code, "message": item.message, "pointer": item.pointer}

        echo_json(
            {
                "valid": result.ok,
                "specVersion": result.spec_version,
                "errors": [finding(f) for f in result.errors],
                "warnings": [finding(f) for f in result.warnings],
            }
        )
    else:
        for item in result.errors:
            click.echo(one_line(f"error: {item.pointer or '/'}: {item.message}"))
        for item in result.warnings:
            click.echo(one_line(f"warning: {item.pointer or '/'}: {item.message}"))
        verdict = "valid" if result.ok else "INVALID"
        version = f"CycloneDX {result.spec_version}" if result.spec_version else "not CycloneDX"
        click.echo(
            f"{bom}: {verdict} ({version}; {len(result.errors)} errors, "
            f"{len(result.warnings)} warnings)"
        )
    if not result.ok:
        raise click.exceptions.Exit(1)
