"""``mbom prove`` (write a dataset inclusion proof) and ``mbom check-proof`` (check one)."""

from __future__ import annotations

import click

from mbom._one_line import one_line
from mbom.cli._output import format_option

#: Both commands read the dataset root from the same ``--bom``.
_bom_option = click.option(
    "--bom",
    "bom",
    required=True,
    metavar="FILE",
    help="The BOM (or signed bundle) holding the root.",
)


@click.command("prove")
@click.argument("path", type=str)
@_bom_option
@click.option(
    "--dataset", metavar="NAME", help="Dataset name (needed when several could hold PATH)."
)
@click.option(
    "--dataset-root",
    metavar="DIR",
    help="Folder (or URL) PATH is relative to [default: the dataset's recorded location].",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    default="proof.json",
    show_default=True,
    help="Proof to write.",
)
@format_option("text", "json")
def prove_command(
    path: str,
    bom: str,
    dataset: str | None,
    dataset_root: str | None,
    output: str,
    output_format: str,
) -> None:
    """Prove that the file PATH, with its current content, is part of a dataset of BOM.

    PATH may be an object URL (s3://...) of a dataset recorded there: it is hashed where it
    lives. The recorded files are read in one pass, in memory that does not grow with them.

    Exit 1 (and no proof written) when the file is not in the dataset or its content differs.
    """
    from mbom._atomic import write_atomic
    from mbom.forensics.proofs import make_proof

    proof = make_proof(path, bom, dataset=dataset, dataset_root_dir=dataset_root)
    text = proof.to_text()
    write_atomic(output, text)
    if output_format == "json":
        from mbom.cli._output import echo_json

        echo_json({"output": output, "bytes": len(text.encode()), **proof.to_json()})
        return
    click.echo(
        one_line(
            f"wrote {output}: {proof.leaf.path} is file {proof.index + 1} of {proof.tree_size} "
            f"in dataset {proof.dataset} ({len(proof.audit_path)} audit-path hashes, "
            f"root {proof.root[:16]}…)"
        )
    )


@click.command("check-proof")
@click.argument("proof", type=str)
@_bom_option
@click.option(
    "--file", "file", metavar="FILE", help="Also re-hash FILE and compare it with the leaf."
)
@format_option("text", "json")
def check_proof_command(proof: str, bom: str, file: str | None, output_format: str) -> None:
    """Check an inclusion proof against the dataset root in BOM (the dataset is not needed).

    Exit 0 when it holds, 1 when it does not.
    """
    from mbom.bom.parents import load_bom_or_bundle
    from mbom.errors import VerificationError
    from mbom.forensics.proofs import check_proof, load_proof

    loaded = load_proof(proof)
    document, _ = load_bom_or_bundle(bom)
    try:
        root = check_proof(loaded, document, file=file)
    except VerificationError as exc:
        if output_format != "json":
            raise
        from mbom.cli._output import echo_json

        echo_json(
            {"verified": False, "message": str(exc), "expected": exc.expected, "actual": exc.actual}
        )
        raise click.exceptions.Exit(1) from None
    if output_format == "json":
        from mbom.cli._output import echo_json

        echo_json(
            {"verified": True, "dataset": loaded.dataset, "path": loaded.leaf.path, "root": root}
        )
        return
    click.echo(  # the proof and the BOM are the producer's: their names print as one line
        one_line(
            f"proof holds: {loaded.leaf.path} (sha256 {loaded.leaf.digest[:16]}…) is in dataset "
            f"{loaded.dataset} of {document.get('serialNumber')} (root {root[:16]}…)"
        )
    )
