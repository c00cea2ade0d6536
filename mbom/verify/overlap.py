"""What verify does while the model's workers hash: read its inputs, then check signatures.

Usage::

    from mbom.verify.overlap import Overlap

    early = Overlap(load_inputs, check_signatures)   # check_signatures(inputs)
    tree = hash_tree(path, progress=early)   # early.start() runs once workers are forked
    inputs, signatures = early.finish()

Hashing tells its progress sink when the large files start streaming (after the workers are
forked). ``prepare`` (verify's policy, keys and bundles) then runs in the calling thread: an
input error there raises out of the hashing, which kills its workers, so a wrong ``--key``
is still reported at once, not after a 100 GB model is read. ``work`` (the signature layer)
then runs on a thread with what ``prepare`` returned, so it costs nothing extra on a machine
with a spare core. A model hashed with no large files, remote or from a tree already read
never calls ``start``: :meth:`Overlap.finish` runs both inline.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

Prepared = TypeVar("Prepared")
Result = TypeVar("Result")


class Overlap(Generic[Prepared, Result]):
    """``prepare`` in the caller's thread at :meth:`start`, then ``work`` on a thread."""

    def __init__(self, prepare: Callable[[], Prepared], work: Callable[[Prepared], Result]) -> None:
        self._prepare, self._work = prepare, work
        self._prepared: tuple[Prepared] | None = None
        self._thread: threading.Thread | None = None
        self._result: Any = None
        self._error: BaseException | None = None

    def _ready(self) -> Prepared:
        if self._prepared is None:
            self._prepared = (self._prepare(),)
        return self._prepared[0]

    def _run(self) -> None:
        try:
            self._result = self._work(self._ready())
        except BaseException as exc:  # re-raised by finish() in the calling thread
            self._error = exc

    def start(self, total_bytes: int, total_files: int) -> None:
        """The large files are streaming (a progress sink's start)."""
        self._ready()
        if self._thread is None and total_files:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def advance(self, nbytes: int) -> None:
        """Progress is not shown."""

    def finish(self) -> tuple[Prepared, Result]:
        """What ``prepare`` returned and ``work``'s result (each run here if not yet run);
        an error of either is raised here."""
        prepared = self._ready()
        if self._thread is None:
            self._run()
        else:
            self._thread.join()
        if self._error is not None:
            raise self._error
        return prepared, self._result
