"""Report mutmut trampoline hits from `mbom` subprocesses back to the test that started them.

Only active during a `make mutation` stats run (tools/mutation/run.py puts this folder on
PYTHONPATH and sets MBOM_MUTATION_HITS). mutmut maps each mutated function to the tests that
reach it by recording calls in the pytest process; the CLI tests run `python -m mbom.cli` in a
subprocess, whose calls mutmut never sees, so every mutant they alone could kill would be
reported as "no tests". Here the subprocess writes the functions it reached to a file, and
mbom_mutation_plugin adds them to the running test's hits.
"""

from __future__ import annotations

import os

_HITS = os.environ.get("MBOM_MUTATION_HITS")

if _HITS and os.environ.get("MUTANT_UNDER_TEST") == "stats":
    import atexit

    from mutmut.mutation import trampoline as _trampoline

    _reached: set[str] = set()

    def _record(name: str, caller: str | None = None) -> None:
        # Replaces mutmut.stats.record_trampoline_hit, which needs mutmut's config (read
        # from the working directory, which a test may have changed) and in-process state.
        _reached.add(name)

    def _flush() -> None:
        if _reached:
            with open(_HITS, "a", encoding="utf-8") as out:
                out.write("".join(f"{name}\n" for name in sorted(_reached)))

    _trampoline.record_trampoline_hit = _record
    atexit.register(_flush)
