"""Run the ``mbom`` console command in-process and assert the CLI contract on the outcome.

The command runs through :func:`mbom.cli._errors.run_guarded`, exactly as the console script
does, with ``MBOM_DEBUG=1``: the last-resort ``except Exception`` branch then re-raises instead
of printing "unexpected ...", so a test fails with the real traceback the moment an internal
error would have reached a user. Every outcome is checked for: an exit code in {0, 1, 2, 3};
no traceback and no last-resort ``mbom: error: unexpected X`` line on stderr; at most one
``mbom: error:`` line; and, for a command given ``-o``, either a complete output file or the
previous one untouched.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from click.testing import CliRunner

from tests.fuzz import census

ALLOWED_EXIT_CODES = frozenset({0, 1, 2, 3})
PREVIOUS = b"previous output, must survive a failed run\n"


class InternalError(AssertionError):
    """An exception reached the CLI's last-resort handler."""


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: bytes
    stderr: str


def run_cli(args: Sequence[str], *, env: dict[str, str] | None = None) -> Outcome:
    """``mbom ARGS`` in-process; raises :class:`InternalError` if the last resort would run."""
    from mbom.cli._errors import run_guarded
    from mbom.cli.main import cli

    runner = CliRunner()
    environment = {"MBOM_DEBUG": "1", "NO_COLOR": "1", **(env or {})}
    code: int | None = None
    with runner.isolation(env=environment) as (stdout, stderr, _):
        with mock.patch.object(sys, "argv", ["mbom", *args]):
            try:
                run_guarded(cli)
            except SystemExit as exc:
                code = _code(exc.code)
            except BaseException as exc:
                raise InternalError(
                    f"mbom {' '.join(args)}: {type(exc).__name__} reached the last-resort "
                    f"handler: {exc!r}"
                ) from exc
            finally:
                _drop_log_handlers()
        sys.stdout.flush()
        sys.stderr.flush()
        out, err = stdout.getvalue(), stderr.getvalue().decode("utf-8", "backslashreplace")
    assert code is not None
    return Outcome(code, out, err)


def _code(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    return 1  # sys.exit("message") exits 1 in CPython


def _drop_log_handlers() -> None:
    # mbom's warning handler binds the stderr of the run that first warned; the next run has
    # its own stderr.
    logger = logging.getLogger("mbom")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)


def check_contract(outcome: Outcome, args: Sequence[str]) -> None:
    """The CLI contract every run must keep, whatever its input."""
    where = f"mbom {' '.join(args)}"
    assert outcome.code in ALLOWED_EXIT_CODES, f"{where}: exit {outcome.code}\n{outcome.stderr}"
    assert "Traceback" not in outcome.stderr, f"{where}: traceback\n{outcome.stderr}"
    errors = [line for line in outcome.stderr.splitlines() if line.startswith("mbom: error:")]
    last_resort = [e for e in errors if e.startswith("mbom: error: unexpected ")]
    assert not last_resort, f"{where}: the last-resort handler ran: {last_resort[0]}"
    assert len(errors) <= 1, f"{where}: several error lines\n{outcome.stderr}"
    if outcome.code == 2:
        assert errors, f"{where}: exit 2 without an error line\n{outcome.stderr}"


def run_checked(
    args: Sequence[str],
    *,
    output: Path | None = None,
    complete: Callable[[bytes], None] | None = None,
    env: dict[str, str] | None = None,
) -> Outcome:
    """:func:`run_cli` + :func:`check_contract`; with ``output`` (the ``-o`` target), also the
    no-partial-file rule: the file is written in full (``complete`` checks it) or left as it
    was, and no temporary file is left beside it."""
    if not census.enabled():
        return _run_checked(args, output, complete, env)
    try:
        outcome = _run_checked(args, output, complete, env)
    except AssertionError as exc:
        census.record(exc)
        return Outcome(-1, b"", str(exc))
    census.record(None)
    return outcome


def _run_checked(args, output, complete, env) -> Outcome:
    if output is not None:
        output.write_bytes(PREVIOUS)
        before = set(output.parent.iterdir())
    outcome = run_cli(args, env=env)
    check_contract(outcome, args)
    if output is not None:
        after = set(output.parent.iterdir())
        assert after <= before | {output}, f"left behind: {sorted(map(str, after - before))}"
        data = output.read_bytes() if output.exists() else None
        if outcome.code in (0, 1) and data not in (None, PREVIOUS):
            if complete is not None:
                complete(data)
        else:
            assert data in (None, PREVIOUS), f"mbom {' '.join(args)}: exit {outcome.code} wrote"
    return outcome
