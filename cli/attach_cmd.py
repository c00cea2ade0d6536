"""``mbom attach oci://REF --bundle B``: store a bundle in the registry as an OCI 1.1 referrer."""

from __future__ import annotations

import click

from mbom.cli._oci_options import insecure_registry_option
from mbom.cli._output import format_option


@click.command("attach")
@click.argument("reference", metavar="oci://REF")
@click.option(
    "--bundle",
    "bundles",
    multiple=True,
    required=True,
    metavar="BUNDLE",
    help="Sigstore bundle about the artifact (repeatable).",
)
@click.option("--platform", metavar="OS/ARCH", help="For an index: the manifest to attach to.")
@insecure_registry_option
@format_option("text", "json")
def attach_command(
    reference: str, bundles: tuple[str, ...], platform: str | None, output_format: str
) -> None:
    """Attach bundles to the artifact at oci://REF (the tag is resolved to its digest once)."""
    from mbom.attest.oci_referrers import attach_bundles
    from mbom.hashing._oci_ref import parse_reference

    parse_reference(reference)  # a bad reference is an input error before anything is read
    attached = attach_bundles(reference, bundles, platform=platform)
    if output_format == "json":
        from mbom.cli._output import echo_json

        echo_json(
            {
                "subject": attached[0].subject,
                "referrers": [{"digest": a.referrer, "via": a.via} for a in attached],
            }
        )
        return
    for bundle, item in zip(bundles, attached):
        how = "Referrers API" if item.via == "api" else "referrers tag schema"
        click.echo(f"attached {bundle} to {item.subject} as {item.referrer} ({how})")
