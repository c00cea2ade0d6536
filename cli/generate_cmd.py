"""``mbom generate``: capture a model and what it was made from into a CycloneDX ML-BOM."""

from __future__ import annotations

import click

from mbom.cli._auditlog import log_option, record
from mbom.cli._dask_option import dask_executor, dask_option
from mbom.cli._oci_options import insecure_registry_option

ALGORITHMS = ("sha256", "sha512", "blake3")


@click.command("generate")
@click.option("--model", "model", type=str, help="Model file or directory.")
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
@click.option("--name", help="Model name.")
@click.option("--version", "model_version", help="Model version.")
@click.option(
    "-f",
    "--file",
    "request_file",
    type=str,
    metavar="mbom.yaml",
    help="Declarative inputs (flags add to or override it).",
)
@click.option("-o", "--output", type=str, default=None, help="Output file [default: bom.cdx.json].")
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
    help="Extra digest algorithm for files (SHA-256 is always recorded).",
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
    "--manifest-threshold",
    type=click.IntRange(min=0),
    default=None,
    help="Datasets with more files get a sidecar manifest [default: 1000].",
)
@click.option("--no-cache", is_flag=True, help="Re-hash every file.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None)
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
    from mbom.request_file import load_request_file

    values: dict = load_request_file(options["request_file"]) if options["request_file"] else {}
    for flag, key in (("datasets", "datasets"), ("configs", "configs"), ("parents", "parents")):
        values[key] = (*values.get(key, ()), *options[flag])
    for flag, key in (
        ("model", "model"),
        ("hf", "hf"),
        ("name", "name"),
        ("model_version", "version"),
        ("spec_version", "spec_version"),
        ("container_image", "container_image"),
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
            }
        )
        return
    model = document["metadata"].get("component", {})
    click.echo(
        f"wrote {written[-1]} (CycloneDX {document['specVersion']}, "
        f"{document['serialNumber']}): model {model.get('name')} with "
        f"{len(model.get('components', []))} files, "
        f"{sum(1 for c in document.get('components', []) if c.get('type') == 'data')} "
        "data components"
        + (f"; manifests: {', '.join(str(p) for p in written[:-1])}" if written[:-1] else "")
    )


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
            click.echo(f"warning: {item.path}: unsafe to load: {item.describe()}", err=True)
