"""``mbom recover``: the checkpoint a crashed run can resume from, verified against its journal."""

from __future__ import annotations

from typing import Any

import click

from mbom.cli._output import format_option


@click.command("recover")
@click.argument("run_dir", type=str)
@click.option(
    "--journal",
    type=str,
    default=None,
    metavar="FILE",
    help="The run journal [default: RUN_DIR/bom.journal.jsonl].",
)
@click.option(
    "--key",
    "keys",
    multiple=True,
    metavar="PUB",
    help="A public key the journal is signed with (repeatable).",
)
@click.option(
    "--bom",
    "bom",
    type=str,
    default=None,
    metavar="PATH",
    help="Also write the run's BOM (marked incomplete) to PATH.",
)
@format_option("text", "json")
def recover_command(
    run_dir: str, journal: str | None, keys: tuple[str, ...], bom: str | None, output_format: str
) -> None:
    """Name the newest checkpoint of RUN_DIR whose bytes match the run journal.

    Prints its path on stdout (the report on stderr); exit 0 when one verifies, 1 when none
    does or the journal does not verify, 3 when there is no journal or nothing recorded.
    """
    from mbom.errors import TrustMaterialError
    from mbom.recovery import recover

    found = recover(run_dir, journal=journal, keys=keys)
    if found.problem is None and (found.run is None or not found.run.checkpoints):
        raise TrustMaterialError(f"{found.journal}: no checkpoint recorded: nothing to verify")
    if bom is not None and found.checkpoint is not None:
        _write_bom(found, bom)
    if output_format == "json":
        from mbom.cli._output import echo_json

        echo_json(found.to_json())
    else:
        _report(found)
    raise SystemExit(found.exit_code)


def _write_bom(found: Any, output: str) -> None:
    from mbom.generate import GenerateRequest, manifest_stem_for, write_bom
    from mbom.recovery.incomplete import incomplete_bom

    built = incomplete_bom(
        found, GenerateRequest(environment=False), manifest_stem=manifest_stem_for(output)
    )
    written = write_bom(built, output)
    click.echo(f"wrote {written[-1]} (run incomplete)", err=True)


def _report(found: Any) -> None:
    say = lambda text: click.echo(text, err=True)  # noqa: E731 - the report goes to stderr
    checked = "signatures checked" if found.keyed else "hash chain only (no --key)"
    say(f"journal {found.journal}: {found.entries} entries, {checked}")
    if found.torn_tail:
        say(f"  torn tail: {len(found.torn_tail)} bytes of an interrupted append (ignored)")
    if found.problem is not None:
        say(f"journal does not verify: {found.problem}")
        return
    for item in found.skipped:
        say(f"skipped step {item.checkpoint.step} ({item.reason}): {item.message}")
        for problem in item.files:
            say(
                f"  {problem.file}: {problem.problem}: expected {problem.expected} "
                f"({problem.expected_size} B), found {problem.actual} ({problem.actual_size} B)"
            )
    if found.checkpoint is None:
        say("no checkpoint verifies: nothing to resume from")
        return
    chain = len(found.chain)
    say(
        f"resume from step {found.checkpoint.step}: {found.path} ({found.checkpoint.digest}, "
        f"chain of {chain} checkpoint{'s' if chain != 1 else ''} from run {found.run.run_id})"
    )
    click.echo(found.path)
