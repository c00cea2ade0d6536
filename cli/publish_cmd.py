"""``mbom publish --hf REPO``: upload a BOM and its bundles to a Hugging Face Hub repository."""

from __future__ import annotations

import click

from mbom.cli._output import format_option


@click.command("publish")
@click.argument("bom", type=str)
@click.option("--hf", "repo_id", required=True, metavar="REPO", help="Hub repository (ORG/NAME).")
@click.option(
    "--bundle",
    "bundles",
    multiple=True,
    metavar="BUNDLE",
    help="A bundle to upload with it (repeatable) [default: BOM.sigstore.json when present].",
)
@click.option(
    "--path-in-repo",
    metavar="FOLDER",
    default="",
    help="Folder in the repository [default: its root].",
)
@click.option(
    "--revision", metavar="BRANCH", default=None, help="Branch to commit to [default: main]."
)
@click.option("--dataset", "is_dataset", is_flag=True, help="REPO is a dataset repository.")
@format_option("text", "json")
def publish_command(
    bom: str,
    repo_id: str,
    bundles: tuple[str, ...],
    path_in_repo: str,
    revision: str | None,
    is_dataset: bool,
    output_format: str,
) -> None:
    """Upload BOM, its sidecar manifests and bundles to a Hub repository in one commit."""
    import os

    from mbom.attest import default_bundle_path
    from mbom.publish import publish

    if not bundles and os.path.isfile(default_bundle_path(bom)):
        bundles = (default_bundle_path(bom),)
    commit = publish(
        repo_id,
        bom,
        bundles=bundles,
        path_in_repo=path_in_repo,
        revision=revision,
        repo_type="dataset" if is_dataset else "model",
    )
    if output_format == "json":
        from mbom.cli._output import echo_json

        echo_json(
            {
                "repo": commit.repo_id,
                "commit": commit.oid,
                "url": commit.url,
                "files": list(commit.files),
            }
        )
        return
    click.echo(f"published {', '.join(commit.files)} to {commit.repo_id} ({commit.url})")
