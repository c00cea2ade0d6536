"""``mbom hash``: digests of files and directory Merkle roots.

Text output is ``DIGEST  PATH`` per file (``sha256sum -c`` / ``b3sum -c`` can check it), with
the Merkle root, symbolic links and ignored paths as ``#`` comment lines.
"""

from __future__ import annotations

import os

import click

from mbom.cli._dask_option import dask_executor, dask_option
from mbom.cli._output import TerminalProgress, echo_json, format_option, jobs_option

ALGORITHM_CHOICES = ("sha256", "sha512", "blake3")


@click.command("hash")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--algorithm",
    "-a",
    type=click.Choice(ALGORITHM_CHOICES, case_sensitive=False),
    default="sha256",
    show_default=True,
    help="Digest algorithm.",
)
@jobs_option()
@click.option("--no-cache", is_flag=True, help="Re-hash every file; ignore the hash cache.")
@dask_option
@format_option("text", "json")
def hash_command(
    paths: tuple[str, ...],
    algorithm: str,
    jobs: int | None,
    no_cache: bool,
    dask: str | None,
    output_format: str,
) -> None:
    """Hash files and directories (per-file digests and a directory Merkle root)."""
    from mbom.hashing import hash_tree

    algorithm = algorithm.lower()
    results = []
    with dask_executor(dask) as executor:
        for path in paths:
            with TerminalProgress(f"hashing {path}") as progress:
                tree = hash_tree(
                    path,
                    algorithms=(algorithm,),
                    jobs=jobs,
                    cache=not no_cache,
                    progress=progress,
                    executor=executor,
                )
            results.append(tree)
    if output_format == "json":
        documents = [_as_json(tree, algorithm) for tree in results]
        echo_json(documents[0] if len(documents) == 1 else documents)
        return
    for tree in results:
        _print_text(tree, algorithm)


def _as_json(tree, algorithm: str) -> dict:
    files = []
    for entry in tree.files:
        item = {"path": entry.path, "size": entry.size, "digest": entry.digests[algorithm]}
        if entry.symlink is not None:
            item["symlink"] = entry.symlink
        files.append(item)
    return {
        "algorithm": algorithm,
        "root": tree.root(algorithm),
        "files": files,
        "path": tree.path,
        "ignored": list(tree.ignored),
        "cached": tree.cached,
    }


def _print_text(tree, algorithm: str) -> None:
    """One line per file, written in chunks: a tree of millions is never held as text."""
    lines: list[str] = []
    prefix = os.path.join(tree.path, "")
    position = tree.algorithms.index(algorithm)
    raw = getattr(tree.files, "records", None)  # a large tree: its records, no FileDigest each
    entries = (
        ((r[0], r[2][position], r[3]) for r in raw)
        if raw is not None
        else ((e.path, e.digests[algorithm], e.symlink) for e in tree.files)
    )
    for path, digest, symlink in entries:
        shown = prefix + path if tree.is_directory else tree.path
        if symlink is not None:
            lines.append(f"# symlink {shown} -> {symlink} ({algorithm} {digest})")
        else:
            lines.append(f"{digest}  {shown}")
        if len(lines) >= 10_000:
            click.echo("\n".join(lines))
            lines = []
    lines.extend(f"# ignored {os.path.join(tree.path, name)}" for name in tree.ignored)
    if tree.is_directory:
        lines.append(f"# root {algorithm} {tree.root(algorithm)}  {tree.path}")
    if lines:
        click.echo("\n".join(lines))
