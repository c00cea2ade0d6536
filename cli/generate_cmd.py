"""``mbom generate``: capture a model and what it was made from into a CycloneDX ML-BOM."""

from __future__ import annotations

import click

from mbom._one_line import one_line
from mbom.cli._auditlog import log_option, record
from mbom.cli._dask_option import dask_executor, dask_option
from mbom.cli._oci_options import insecure_registry_option
from mbom.cli._output import jobs_option

ALGORITHMS = ("sha256", "sha512", "blake3")


@click.command("generate")
@click.option(
    "--model", "model", type=str, metavar="PATH", help="Model file or directory, or a URL."
)
@click.option(
    "--dataset",
    "datasets",
    multiple=True,
    metavar="[NAME=]PATH|URI",
    help="A dataset (repeatable).",
)
@click.option(
    "--config",
    "configs",
    multiple=True,
    metavar="PATH",
    help="A training config, YAML/JSON/TOML (repeatable).",
)
@click.option(
    "--parent",
    "parents",
    multiple=True,
    metavar="BOM_OR_BUNDLE",
    help="The BOM or bundle of a parent model (repeatable).",
)
@click.option("--hf", metavar="REPO[@REVISION]", help="A Hugging Face Hub model.")
@click.option(
    "--from-journal",
    "from_journal",
    metavar="JOURNAL",
    help="The BOM of an unfinished run: its newest verified checkpoint (marked incomplete).",
)
@click.option(
    "--journal-key",
    "journal_keys",
    multiple=True,
    metavar="PUB",
    help="With --from-journal: a public key the journal is signed with (repeatable).",
)
@click.option("--name", metavar="NAME", help="Model name [default: the model folder's name].")
@click.option("--version", "model_version", metavar="VERSION", help="Model version.")
@click.option(
    "-f",
    "--file",
    "request_file",
    type=str,
    metavar="mbom.yaml",
    help="Declarative inputs (flags add to or override it).",
)
@click.option(
    "-o",
    "--output",
    type=str,
    metavar="FILE",
    default=None,
    help="Output file [default: bom.cdx.json].",
)
@click.option(
    "--spec-version",
    type=click.Choice(("1.6", "1.7")),
    default=None,
    help="CycloneDX version [default: 1.6].",
)
@click.option(
    "--algorithm",
    "algorithms",
    multiple=True,
    type=click.Choice(ALGORITHMS, case_sensitive=False),
    help="Extra digest algorithm for files; SHA-256 is always recorded (repeatable).",
)
@click.option(
    "--container-image",
    metavar="NAME@sha256:DIGEST",
    help="Digest of the container image the run used.",
)
@click.option(
    "--no-pull",
    is_flag=True,
    help="oci:// model: read manifests only (layer digests are content addresses).",
)
@click.option("--platform", metavar="OS/ARCH", help="oci:// index: the manifest to describe.")
@insecure_registry_option
@click.option("--no-environment", is_flag=True, help="Do not record the Python environment.")
@click.option(
    "--python",
    metavar="PATH",
    help="Record the environment of this interpreter or virtual environment (the training "
    "venv's bin/python) [default: the Python running mbom]. Its packages' metadata is read; "
    "none of its code is imported.",
)
@click.option(
    "--manifest-threshold",
    type=click.IntRange(min=0),
    default=None,
    help="Datasets with more files get a sidecar manifest [default: 1000].",
)
@click.option("--no-cache", is_flag=True, help="Re-hash every file.")
@jobs_option()
@dask_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(("text", "json")),
    default="text",
    help="What to print after writing: a one-line summary or a JSON report.",
)
@log_option
def generate_command(**options: object) -> None:
    """Generate a CycloneDX ML-BOM for a model (validated before it is written)."""
    from mbom.generate import GenerateRequest, generate, manifest_stem_for, write_bom

    values: dict = {}
    if options["request_file"]:
        from mbom.request_file import load_request_file

        values = load_request_file(options["request_file"])
    for flag, key in (("datasets", "datasets"), ("configs", "configs"), ("parents", "parents")):
        values[key] = (*values.get(key, ()), *options[flag])
    for flag, key in (
        ("model", "model"),
        ("hf", "hf"),
        ("name", "name"),
        ("model_version", "version"),
        ("spec_version", "spec_version"),
        ("container_image", "container_image"),
        ("python", "python"),
        ("manifest_threshold", "manifest_threshold"),
        ("output", "output"),
    ):
        if options[flag] is not None:
            values[key] = options[flag]
    if options["algorithms"]:
        values["algorithms"] = ("sha256", *(a.lower() for a in options["algorithms"]))
    if options["no_pull"]:
        values["pull"] = False
    if options["platform"]:
        values["platform"] = options["platform"]
    if options["no_environment"]:
        values["environment"] = False
    output = values.pop("output", None) or "bom.cdx.json"
    request = GenerateRequest(**values)
    if options["from_journal"] is not None:
        built = _from_journal(request, options, manifest_stem_for(output))
    else:
        if options["journal_keys"]:
            raise click.UsageError("--journal-key needs --from-journal")
        with dask_executor(options["dask"]) as executor:
            built = generate(
                request,
                manifest_stem=manifest_stem_for(output),
                cache=not options["no_cache"],
                jobs=options["jobs"],
                executor=executor,
            )
    written = write_bom(built, output)
    document = built.document
    _warn_unsafe(document)
    record(options["log_file"], "generate", written[-1], serialNumber=document["serialNumber"])
    if options["output_format"] == "json":
        from mbom.cli._output import echo_json

        echo_json(
            {
                "output": str(written[-1]),
                "serialNumber": document["serialNumber"],
                "specVersion": document["specVersion"],
                "manifests": [str(path) for path in written[:-1]],
                "environment": _environment_summary(document),
            }
        )
        return
    from mbom.bom.subjects import model_component
    from mbom.errors import MalformedFileError

    try:
        model = model_component(document)  # the files at the top level or nested
    except MalformedFileError:
        model = {}
    click.echo(
        one_line(
            f"wrote {written[-1]} (CycloneDX {document['specVersion']}, "
            f"{document['serialNumber']}): model {model.get('name')} with "
            f"{len(model.get('components', []))} files, "
            f"{sum(1 for c in document.get('components', []) if c.get('type') == 'data')} "
            "data components"
            + (f"; manifests: {', '.join(str(p) for p in written[:-1])}" if written[:-1] else "")
        )
    )
    click.echo(one_line(f"environment: {_environment_summary(document) or 'not recorded'}"))


def _environment_summary(document: dict) -> str | None:
    """Which Python environment the BOM records, in one phrase (None: none recorded)."""
    from mbom.bom.describe import describe

    described = describe(document)
    environment = described.get("environment") or {}
    if "mbom:env:python" not in environment:
        return None
    source = environment.get("mbom:env:recorded-from", "the Python running mbom")
    packages = described.get("packages") or 0
    return f"{environment['mbom:env:python']}, {packages} packages, from {source}"


def _from_journal(request: object, options: dict, manifest_stem: str) -> object:
    """The BOM of the run the journal records: its newest checkpoint that verifies."""
    import os

    from mbom.recovery import recover
    from mbom.recovery.incomplete import incomplete_bom

    if request.model is not None or request.hf is not None:  # type: ignore[attr-defined]
        raise click.UsageError("--from-journal takes the model from the journal: no --model/--hf")
    journal = str(options["from_journal"])
    run_dir = os.path.dirname(journal) or "."
    found = recover(run_dir, journal=journal, keys=options["journal_keys"])
    return incomplete_bom(found, request, manifest_stem=manifest_stem)


def _warn_unsafe(document: dict) -> None:
    """One stderr line per model file recorded as unsafe to load, naming the callables."""
    from mbom.bom.subjects import recorded_file_safety
    from mbom.errors import MalformedFileError

    try:
        files = recorded_file_safety(document)
    except MalformedFileError:
        return
    for item in files:
        if item.safe is False:
            click.echo(
                one_line(f"warning: {item.path}: unsafe to load: {item.describe()}"), err=True
            )
