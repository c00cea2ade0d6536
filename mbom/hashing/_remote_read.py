"""Bounded, ordered, parallel reads: a window of ranged requests in flight, consumed in order.

Every object is cut into spans: one whole-object GET for an object up to :data:`BLOCK`
(8 MiB), else ranges of :data:`BLOCK`. Spans of all objects of a batch go through one
window: up to :func:`concurrency` requests in flight (``MBOM_REMOTE_CONCURRENCY``, default
16) and at most :data:`BUDGET` bytes (64 MiB) requested but not yet hashed. Results are
consumed in submission order, so each object's ranges reach its digests in order and one
read feeds every algorithm; many small objects are fetched concurrently the same way. Peak
memory is the budget plus one span, whatever the object sizes or their number.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple, TypeVar

from mbom.errors import InputError
from mbom.hashing._location import Listed

T = TypeVar("T")

BLOCK = 8 * 1024 * 1024
BUDGET = 8 * BLOCK
DEFAULT_CONCURRENCY = 16


class Span(NamedTuple):
    """One request: object ``index`` bytes [start, end), or the whole object (start None)."""

    index: int
    start: int | None
    end: int | None
    last: bool
    cost: int


def concurrency() -> int:
    """Requests in flight per batch (``MBOM_REMOTE_CONCURRENCY``)."""
    raw = os.environ.get("MBOM_REMOTE_CONCURRENCY", "").strip()
    if not raw:
        return DEFAULT_CONCURRENCY
    if not raw.isdigit() or int(raw) < 1:
        raise InputError(f"MBOM_REMOTE_CONCURRENCY={raw!r}: expected a positive integer")
    return int(raw)


def spans(objects: Sequence[Listed], block: int = BLOCK) -> Iterator[Span]:
    """The requests that read ``objects``, in order."""
    for index, listed in enumerate(objects):
        if listed.size <= block:
            yield Span(index, None, None, True, max(listed.size, 1))
            continue
        for start in range(0, listed.size, block):
            end = min(start + block, listed.size)
            yield Span(index, start, end, end == listed.size, end - start)


def run_window(
    work: Iterable[Span],
    fetch: Callable[[Span], T],
    consume: Callable[[Span, T | None, BaseException | None], None],
    *,
    workers: int,
    budget: int = BUDGET,
    skip: Callable[[int], bool] = lambda index: False,
) -> None:
    """``fetch`` spans on ``workers`` threads, ``consume`` (result or error) in order.

    ``skip(index)``: spans of an object that already failed are not fetched. An exception
    from ``consume`` stops the window (pending requests cancelled) and propagates.
    """
    from concurrent.futures import ThreadPoolExecutor

    pending = iter(work)
    window: deque = deque()
    in_flight = 0
    held: Span | None = None  # the next span, waiting for room in the budget
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mbom-remote") as pool:
        try:
            while True:
                while len(window) < workers:
                    span, held = (held if held is not None else next(pending, None)), None
                    if span is None:
                        break
                    if skip(span.index):
                        continue
                    if window and in_flight + span.cost > budget:
                        held = span
                        break
                    window.append((span, pool.submit(fetch, span)))
                    in_flight += span.cost
                if not window:
                    return
                span, future = window.popleft()
                try:
                    result, error = future.result(), None
                except Exception as exc:
                    result, error = None, exc
                in_flight -= span.cost
                consume(span, result, error)
        finally:
            for _, future in window:
                future.cancel()
