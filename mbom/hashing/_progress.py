"""Optional progress calls: file counts and totals that grow while a listing streams.

:class:`mbom.hashing.ProgressSink` started with ``start`` + ``advance`` (bytes, totals known
up front). A streamed or distributed run learns its totals while it hashes, and a bar should
count files too, so a sink *may* also have ``grow(nbytes, nfiles)`` and
``advance_files(nfiles)``. These helpers call them where present, so an older sink keeps
working unchanged (it gets ``start`` once the listing has ended instead of ``grow``).
"""

from __future__ import annotations

from typing import Any


def grow(sink: Any, nbytes: int, nfiles: int) -> bool:
    """Tell ``sink`` about more work found; False when it has no ``grow`` (call ``start`` later)."""
    method = getattr(sink, "grow", None)
    if method is None:
        return False
    method(nbytes, nfiles)
    return True


def advance_files(sink: Any, nfiles: int) -> None:
    """Tell ``sink`` that ``nfiles`` more files are done, if it counts files."""
    method = getattr(sink, "advance_files", None)
    if method is not None:
        method(nfiles)
