"""``mbom verify``: is PATH exactly what was attested, by someone trusted, within policy?"""

from __future__ import annotations

import click

FORMATS = ("text", "json", "sarif", "junit")


@click.command("verify")
@click.argument("path", type=str)
@click.option(
    "--bundle",
    "bundles",
    multiple=True,
    metavar="B",
    help="Attestation about PATH: MBOM, OMS signature, SLSA... (repeatable).",
)
@click.option("--key", "keys", multiple=True, metavar="PUB", help="Trusted public key PEM.")
@click.option("--identity", help="Trusted keyless certificate identity (exact).")
@click.option("--identity-regex", help="Trusted keyless identity, a full-match regex.")
@click.option("--issuer", help="Trusted OIDC issuer of the identity (exact).")
@click.option("--issuer-regex", help="Trusted OIDC issuer, a full-match regex.")
@click.option("--trusted-root", metavar="F", help="Sigstore trusted_root.json.")
@click.option("--trust-config", metavar="F", help="Sigstore ClientTrustConfig JSON.")
@click.option(
    "--policy", metavar="P.yaml", help="Policy file (trust, required attestations, rules)."
)
@click.option("--datasets", metavar="ROOT", help="Re-hash the BOM's datasets found under ROOT.")
@click.option(
    "--parent",
    "parents",
    multiple=True,
    metavar="B",
    help="Bundle of a parent model, verified recursively (repeatable).",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Promise no network use (mbom verify never uses it; trust comes from files).",
)
@click.option("--no-schema", is_flag=True, help="Skip CycloneDX schema validation of the BOM.")
@click.option(
    "--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True
)
@click.option("--jobs", type=int, default=None, help="Hashing workers [default: one per core].")
def verify_command(
    path: str,
    bundles: tuple[str, ...],
    keys: tuple[str, ...],
    identity: str | None,
    identity_regex: str | None,
    issuer: str | None,
    issuer_regex: str | None,
    trusted_root: str | None,
    trust_config: str | None,
    policy: str | None,
    datasets: str | None,
    parents: tuple[str, ...],
    offline: bool,
    no_schema: bool,
    output_format: str,
    jobs: int | None,
) -> int:
    """Verify PATH (the model as deployed) against its bundles, trust and policy.

    Exit 0 verified, 1 a check failed, 2 input error, 3 could not evaluate (no trust
    material or bundle).
    """
    from mbom.verify.pipeline import VerifyRequest, verify

    del offline  # verification never uses the network; the flag documents the intent
    if not bundles:
        raise click.UsageError("give at least one --bundle")
    request = VerifyRequest(
        path=path,
        bundles=bundles,
        keys=keys,
        identities=_identities(identity, identity_regex, issuer, issuer_regex),
        trusted_root=trusted_root,
        trust_config=trust_config,
        policy=policy,
        datasets=datasets,
        parents=parents,
        schema=not no_schema,
        jobs=jobs,
    )
    report = verify(request)
    _write(report, output_format)
    return report.exit_code


def _identities(
    identity: str | None, identity_regex: str | None, issuer: str | None, issuer_regex: str | None
) -> tuple:
    from mbom.verify.trust import IdentityRule

    if (identity and identity_regex) or (issuer and issuer_regex):
        raise click.UsageError(
            "give --identity or --identity-regex (and --issuer or --issuer-regex), not both"
        )
    who, by = identity or identity_regex, issuer or issuer_regex
    if not who and not by:
        return ()
    if not who or not by:
        raise click.UsageError("keyless trust needs both an identity and an issuer")
    return (IdentityRule(who, by, identity_regex is not None, issuer_regex is not None),)


def _write(report: object, output_format: str) -> None:
    import json

    if output_format == "json":
        from mbom.cli._output import echo_json

        echo_json(report.as_json())  # type: ignore[attr-defined]
    elif output_format == "sarif":
        from mbom.verify.report_sarif import render_sarif

        click.echo(json.dumps(render_sarif(report), indent=2, ensure_ascii=False))  # type: ignore[arg-type]
    elif output_format == "junit":
        from mbom.verify.report_junit import render_junit

        click.echo(render_junit(report))  # type: ignore[arg-type]
    else:
        from mbom.verify.report_text import render_text

        click.echo(render_text(report))  # type: ignore[arg-type]
