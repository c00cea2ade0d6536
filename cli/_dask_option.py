"""``--dask ADDRESS``: the one option that sends hashing to a Dask cluster (hash, generate,
verify), and the executor it names, closed when the command ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

HELP = (
    "Hash on a Dask cluster: tcp://HOST:8786 (any distributed address) or local:N "
    "(N local worker processes) [default: $MBOM_DASK_SCHEDULER, else here]."
)


def dask_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--dask", "dask", metavar="ADDRESS", default=None, help=HELP)(function)


@contextmanager
def dask_executor(spec: str | None) -> Iterator[Any]:
    """The executor ``--dask`` (or ``$MBOM_DASK_SCHEDULER``) names, or None: hash here.

    Connected at once: an unreachable scheduler is reported before any work is done."""
    from mbom.hashing._dask import executor_for

    executor = executor_for(spec)
    if executor is None:
        yield None
        return
    with executor:
        executor.connect()
        yield executor
