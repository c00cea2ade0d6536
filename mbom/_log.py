"""Warnings from the library, without importing ``logging`` on the start-up path.

The library reports degraded-but-working conditions (an unusable hash cache, an optional
tool missing) through the ``mbom`` logger. ``logging`` costs several milliseconds to import,
which matters for a CLI whose cached re-run takes tens of milliseconds, so it is imported on
the first warning only. The CLI calls :func:`use_cli_format` to get one-line
``mbom: warning: ...`` messages on stderr.
"""

from __future__ import annotations

import sys

_cli_format = False


def use_cli_format() -> None:
    """Route mbom's warnings to stderr as one line each (called by the CLI at start)."""
    global _cli_format
    _cli_format = True


def warn(message: str, *args: object) -> None:
    """Log a warning on the ``mbom`` logger (%-style ``args`` as in logging), as one line
    whatever a path in it holds (:mod:`mbom._one_line`)."""
    import logging

    from mbom._one_line import one_line

    logger = logging.getLogger("mbom")
    if _cli_format and not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("mbom: %(levelname)s: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.warning("%s", one_line(message % args if args else message))
