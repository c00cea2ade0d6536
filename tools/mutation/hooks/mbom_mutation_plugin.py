"""pytest plugin for `make mutation`: merge subprocess trampoline hits into mutmut's stats.

See sitecustomize.py beside this file. Loaded with ``-p mbom_mutation_plugin`` only in the
mutmut workspaces that tools/mutation/run.py builds; a no-op outside mutmut's stats run.
"""

from __future__ import annotations

import os

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Before mutmut's own teardown hook files this test's hits, add the subprocesses' ones."""
    hits = os.environ.get("MBOM_MUTATION_HITS")
    if not hits or os.environ.get("MUTANT_UNDER_TEST") != "stats":
        return
    try:
        with open(hits, "r+", encoding="utf-8") as source:
            names = {line.strip() for line in source if line.strip()}
            source.truncate(0)
    except FileNotFoundError:
        return
    from mutmut.state import state

    state()._stats.update(names)
