"""``mbom verify``: is PATH exactly what was attested, by someone trusted, within policy?"""

from __future__ import annotations

from typing import Any

import click

from mbom.cli._auditlog import log_option, record_event
from mbom.cli._dask_option import dask_executor, dask_option
from mbom.cli._oci_options import insecure_registry_option
from mbom.cli._output import format_option, jobs_option
from mbom.cli._trust_options import trust_options, verify_request
from mbom.errors import InputError, MbomError

FORMATS = ("text", "json", "sarif", "junit")


@click.command("verify")
@click.argument("path", type=str)
@click.option(
    "--bundle",
    "bundles",
    multiple=True,
    metavar="BUNDLE_FILE",
    help="Attestation about PATH: MBOM, OMS signature, SLSA... (repeatable).",
)
@trust_options
@click.option(
    "--policy", metavar="POLICY_FILE", help="Policy file (trust, required attestations, rules)."
)
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
    help="Bundle of a parent model, verified recursively (repeatable).",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Promise no network use: trust comes from files; a URL PATH or --datasets is refused.",
)
@click.option(
    "--oci-ref",
    metavar="oci://REF",
    help="PATH was pulled from this artifact: verify the artifact and that PATH is its content.",
)
@click.option("--platform", metavar="OS/ARCH", help="oci:// index: the manifest to verify.")
@insecure_registry_option
@click.option("--no-schema", is_flag=True, help="Skip CycloneDX schema validation of the BOM.")
@format_option(*FORMATS)
@jobs_option()
@dask_option
@log_option
def verify_command(
    path: str,
    bundles: tuple[str, ...],
    policy: str | None,
    datasets: str | None,
    parents: tuple[str, ...],
    offline: bool,
    oci_ref: str | None,
    platform: str | None,
    no_schema: bool,
    output_format: str,
    jobs: int | None,
    dask: str | None,
    log_file: str | None,
    **trust_flags: Any,
) -> int:
    """Verify PATH (the model as deployed) against its bundles, trust and policy.

    Exit 0 verified, 1 a check failed, 2 input error, 3 could not evaluate (no trust
    material or bundle).
    """
    from mbom.verify.pipeline import verify

    if offline:
        from mbom.hashing._location import is_remote
        from mbom.verify.dataset_location import shown

        for what, value in (("PATH", path), ("--datasets", datasets), ("--oci-ref", oci_ref)):
            if value is not None and is_remote(value):
                raise InputError(f"--offline: {what} {shown(value)} is read from a remote store")
    target = oci_ref or (path if path.startswith("oci://") else None)
    with dask_executor(dask) as executor:
        request = verify_request(
            path,
            bundles,
            trust_flags,
            policy=policy,
            datasets=datasets,
            parents=parents,
            jobs=jobs,
            schema=not no_schema,
            executor=executor,
            bundles_optional=target is not None,
        )
        if target is not None:
            from mbom.verify.oci import verify_oci

            report = verify_oci(request, target, platform=platform)
        else:
            report = verify(request)
    _write(report, output_format)
    document = report.as_json()
    try:
        record_event(
            log_file,
            {
                "action": "verify",
                "subject": report.subject if target else path,
                "verified": document["verified"],
                "bundles": [_sha256_of(bundle) for bundle in bundles],
                "failed": [c["id"] for c in document["checks"] if c["status"] == "fail"],
            },
        )
    except MbomError as exc:
        if report.exit_code == 0:
            raise  # a pass that could not be recorded is not a pass (exit 2)
        # A "no" stays a "no": a log that cannot take the entry must not turn 1 into 2.
        from mbom._one_line import one_line

        click.echo(one_line(f"mbom: warning: not logged: {exc}"), err=True)
    return report.exit_code


def _sha256_of(path: str) -> dict[str, str]:
    from mbom.hashing import hash_file

    return {"file": path, "sha256": hash_file(path).digests["sha256"]}


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
