"""Training recovery: the run journal, ``recover`` (which checkpoint to resume from), and the
BOM of a run that never finished.

Usage::

    import mbom
    from mbom.recovery import recover

    found = recover("out", keys=["release.pub"])       # also: mbom recover out --key ...
    print(found.path, [s.reason for s in found.skipped])

    with mbom.record("out/bom.cdx.json", sign_key="release.pem", resume="auto") as run:
        start = run.resumed.step if run.resumed else 0   # verified, same chain, same run id

Modules: :mod:`mbom.recovery.journal` (the events, written through :mod:`mbom.forensics.log`),
:mod:`mbom.recovery.pick` (the algorithm), :mod:`mbom.recovery.incomplete` (the BOM of an
unfinished run). Format and guarantees: docs/recovery.md.
"""

from __future__ import annotations

from mbom.recovery.pick import FileProblem, Recovery, Skipped, recover

__all__ = ["FileProblem", "Recovery", "Skipped", "recover"]
