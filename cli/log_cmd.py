"""``mbom log append|checkpoint|verify|repair|show``: the tamper-evident log (docs/forensics.md)."""

from __future__ import annotations

import json
from typing import Any

import click

from mbom._one_line import one_line
from mbom.cli._output import format_option

_FORMAT = format_option("text", "json")


@click.group("log")
def log_group() -> None:
    """Append-only, hash-chained JSON Lines log with signed checkpoints."""


def _event(text: str | None, file: str | None) -> dict[str, Any]:
    from mbom.errors import InputError, MalformedFileError

    if (text is None) == (file is None):
        raise click.UsageError("give exactly one of --event JSON or --event-file F")
    source = "--event"
    if file is not None:
        source = file
        try:
            stream = click.open_file(file, "r", encoding="utf-8")
            with stream:
                text = stream.read()
        except OSError as exc:
            raise InputError(f"{file}: cannot read: {exc.strerror}", path=file) from None
    from mbom.load import load_json

    event = load_json(text or "", source)
    if not isinstance(event, dict):
        raise MalformedFileError(f"{source}: the event must be a JSON object")
    return event


@log_group.command("append")
@click.argument("log", type=str)
@click.option("--event", "event_text", metavar="JSON", help="The event, a JSON object.")
@click.option("--event-file", metavar="FILE", help="Read the event from FILE ('-' for stdin).")
@click.option("--key", metavar="PEM", help="Sign a checkpoint every --checkpoint-every entries.")
@click.option(
    "--checkpoint-every",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Entries between signed checkpoints (with --key).",
)
@_FORMAT
def append_command(
    log: str,
    event_text: str | None,
    event_file: str | None,
    key: str | None,
    checkpoint_every: int,
    output_format: str,
) -> None:
    """Append one event to LOG (created when missing); safe from many processes at once."""
    from mbom.forensics.log import append_event

    event = _event(event_text, event_file)
    signing_key = None
    if key is not None:
        from mbom.cli._passphrase import load_key

        signing_key = load_key(key)
    entry = append_event(log, event, key=signing_key, checkpoint_every=checkpoint_every)
    if output_format == "json":
        from mbom.cli._output import echo_json

        echo_json(entry.to_json())
        return
    click.echo(f"appended entry {entry.index} to {log} (hash {entry.hash})")


@log_group.command("checkpoint")
@click.argument("log", type=str)
@click.option("--key", required=True, metavar="PEM", help="Private key to sign the tree head.")
def checkpoint_command(log: str, key: str) -> None:
    """Verify LOG's chain and append a signed checkpoint over every entry so far."""
    from mbom.cli._passphrase import load_key
    from mbom.forensics.log import append_checkpoint

    entry = append_checkpoint(log, load_key(key))
    click.echo(
        f"appended checkpoint {entry.index} to {log}: {entry.event['treeSize']} entries, "
        f"root {entry.event['root']}"
    )


@log_group.command("verify")
@click.argument("log", type=str)
@click.option(
    "--key",
    "keys",
    multiple=True,
    metavar="PUB_FILE",
    help="Public key checkpoints are signed with (repeatable).",
)
@click.option(
    "--allow-unsealed-tail",
    type=click.IntRange(min=0),
    default=None,
    metavar="COUNT",
    help="With --key: how many entries may follow the last signed checkpoint [default: 0].",
)
@click.option(
    "--min-entries",
    type=click.IntRange(min=0),
    default=0,
    help="With --key: fail when fewer entries are sealed by a signed checkpoint (truncation).",
)
@_FORMAT
def verify_command(
    log: str,
    keys: tuple[str, ...],
    allow_unsealed_tail: int | None,
    min_entries: int,
    output_format: str,
) -> None:
    """Check LOG's hash chain and checkpoints; exit 1 at the first entry that does not hold.

    With --key, LOG must also end with a checkpoint signed by a given key (at most
    --allow-unsealed-tail entries after it). An interrupted append's torn last line is
    reported, not counted as tampering; `mbom log repair` cuts it.
    """
    from mbom._log import warn
    from mbom.attest.keys import load_public_key
    from mbom.forensics.log import verify_log

    public_keys = [load_public_key(path) for path in keys]
    result = verify_log(
        log,
        public_keys=public_keys,
        min_entries=min_entries,
        allow_unsealed_tail=allow_unsealed_tail,
    )
    if result.torn_tail:
        warn(
            "%s: the last line is incomplete (%d bytes after entry %d, an interrupted append?): "
            "%s; mbom log repair %s cuts it",
            log,
            result.torn_tail,
            result.lines - 1,
            result.to_json()["tornTailPreview"],
            log,
        )
    if output_format == "json":
        from mbom.cli._output import echo_json

        echo_json(result.to_json())
    else:
        click.echo("\n".join(one_line(line) for line in _verify_lines(log, result)))
    if not result.valid:
        raise click.exceptions.Exit(1)


def _verify_lines(log: str, result: Any) -> list[str]:
    from mbom.forensics._logverify import span

    lines = [
        f"checkpoint {c.index}: {c.tree_size} entries, root {c.root[:16]}…, "
        f"key {c.key_hint[:16]}…, {c.status}"
        for c in result.checkpoints
    ]
    problem = result.problem
    if problem is not None:
        seal = problem.kind in ("unsealed", "truncated")
        label, count, what = (
            ("NOT SEALED", result.sealed, "sealed")
            if seal
            else ("TAMPERED", result.entries, "verified")
        )
        scope = f"; {what}: {span(0, count - 1)}" if count else ""
        lines.append(
            f"{log}: {label} at entry {problem.index} ({problem.kind}): {problem.message}{scope}"
        )
        return lines
    if result.unsealed:
        lines.append(
            f"unsealed: {span(result.sealed, result.entries - 1)} after the last signed "
            "checkpoint (allowed by --allow-unsealed-tail): anyone who can write the log can "
            "rewrite what is unsealed"
        )
    summary = f"{log}: valid, {result.entries} entries, {len(result.checkpoints)} checkpoints"
    if result.sealed is None:
        summary += " (unverified, nothing sealed: give --key PUB)"
    else:
        summary += f", {result.sealed} sealed, {result.unsealed} unsealed"
    if result.torn_tail:
        summary += f", torn tail of {result.torn_tail} bytes"
    lines.append(summary)
    return lines


@log_group.command("repair")
@click.argument("log", type=str)
@_FORMAT
def repair_command(log: str, output_format: str) -> None:
    """Cut LOG's torn tail (an interrupted append) and print what was cut.

    Refuses (exit 1) to cut anything else: a whole entry without its newline, or bytes no
    append writes. Nothing else in mbom ever shortens a log.
    """
    from mbom.forensics.log import repair_log

    repair = repair_log(log)
    if output_format == "json":
        from mbom.cli._output import echo_json

        echo_json(repair.to_json())
        return
    if not repair.cut:
        click.echo(f"{log}: nothing to repair: the log ends with a whole entry")
        return
    record = repair.to_json()
    click.echo(
        f"{log}: cut {record['bytes']} bytes at offset {record['offset']} (sha256 "
        f"{record['sha256']}): {record['cut']}"
    )


@log_group.command("show")
@click.argument("log", type=str)
@_FORMAT
def show_command(log: str, output_format: str) -> None:
    """List LOG's entries (unverified; use `mbom log verify`)."""
    from mbom.forensics._tail import escape_bytes
    from mbom.forensics.log import read_log

    rows, torn = read_log(log)
    if output_format == "json":
        from mbom.cli._output import echo_json

        echo_json(
            {
                "entries": [
                    row.to_json() if not isinstance(row, bytes) else {"unreadable": _text(row)}
                    for row in rows
                ],
                "tornTail": len(torn),
                "tornTailPreview": escape_bytes(torn),
            }
        )
        return
    for number, row in enumerate(rows):
        if isinstance(row, bytes):
            click.echo(one_line(f"line {number + 1}: unreadable: {_text(row)[:80]}"))
        elif row.kind == "checkpoint":
            head = row.event
            click.echo(
                one_line(
                    f"{row.index:>6}  {row.time}  checkpoint  {head.get('treeSize')} entries, "
                    f"root {str(head.get('root'))[:16]}…, key {str(head.get('keyHint'))[:16]}…"
                )
            )
        else:
            compact = json.dumps(row.event, separators=(",", ":"), sort_keys=True)
            click.echo(one_line(f"{row.index:>6}  {row.time}  {compact}"))
    if torn:
        click.echo(f"(no newline after the last line, {len(torn)} bytes: {escape_bytes(torn)})")


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")
