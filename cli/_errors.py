"""Turn every failure into one line on stderr and the documented exit code, never a traceback.

``MBOM_DEBUG=1`` shows the traceback of an unexpected error, for bug reports.
"""

from __future__ import annotations

import contextlib
import os
import sys

import click

from mbom._log import use_cli_format
from mbom._one_line import one_line
from mbom.errors import MbomError

EXIT_INPUT = 2


def run_guarded(command: click.Command) -> None:
    """Run a click command with mbom's error and exit-code conventions."""
    use_cli_format()
    _escape_lone_surrogates()
    try:
        # Without standalone mode click returns the code of a `raise Exit(code)` instead of exiting.
        code = command.main(standalone_mode=False, prog_name="mbom")
        if isinstance(code, int) and code:
            sys.exit(code)
    except MbomError as exc:
        _fail(str(exc), exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        _fail("aborted", EXIT_INPUT)
    except click.ClickException as exc:
        click.echo(f"mbom: error: {one_line(exc.format_message())}", err=True)
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            click.echo(f"Try '{exc.ctx.command_path} --help' for help.", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.stderr.close()  # a reader such as `head` went away: not an error of ours
        sys.exit(0)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as exc:  # last resort: still one line, still exit 2
        if os.environ.get("MBOM_DEBUG"):
            raise
        _fail(f"unexpected {type(exc).__name__}: {exc} (set MBOM_DEBUG=1 for details)", EXIT_INPUT)
    sys.exit(0)


def _escape_lone_surrogates() -> None:
    """Write text that is not valid Unicode as ``\\udXXX`` escapes, never crash on it.

    JSON allows ``"\\ud800"``, and bundles, BOMs and model files are the producer's (or an
    attacker's): a value a report quotes may hold a lone surrogate, which strict UTF-8 cannot
    encode. Escaped, a JSON report stays valid JSON (the escape is JSON's own spelling).
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # closed or detached: nothing to set
                reconfigure(errors="backslashreplace")


def _fail(message: str, code: int) -> None:
    """One line on stderr, whatever a path in the message holds (:mod:`mbom._one_line`)."""
    click.echo(f"mbom: error: {one_line(message)}", err=True)
    sys.exit(code)
