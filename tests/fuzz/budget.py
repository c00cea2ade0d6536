"""Per-kind example budgets for the active profile (``HYPOTHESIS_PROFILE``, see conftest.py).

A library parser call costs well under a millisecond; a CLI command runs a whole command
(imports, hashing, report) and ``generate`` also builds and schema-validates a BOM, so each
kind gets its own count. The ``ci`` numbers keep ``make test`` fast; ``long`` is ``make fuzz``.
"""

from __future__ import annotations

import os

from hypothesis import settings

_BUDGETS = {
    #          library  cli  slow cli  sweep pairs
    "ci": (500, 50, 10, 300),
    "long": (50_000, 2_000, 300, None),  # None: sweep every (field, value) pair
}
_library, _cli, _slow, SWEEP_PAIRS = _BUDGETS.get(
    os.environ.get("HYPOTHESIS_PROFILE", "ci"), _BUDGETS["ci"]
)

#: In-process library parsers.
LIBRARY = settings(max_examples=_library)
#: Whole CLI commands, in-process through the console entry's error handling.
CLI = settings(max_examples=_cli)
#: Commands that hash, build and schema-validate a whole BOM (generate).
SLOW_CLI = settings(max_examples=_slow)
