"""The read window: bounded bytes in flight, results consumed in order, errors stop it."""

from __future__ import annotations

import threading

import pytest

from mbom.hashing._location import Listed
from mbom.hashing._remote_read import Span, run_window, spans


def test_spans_cut_objects_at_the_block_size():
    objects = [Listed("a", 0), Listed("b", 10), Listed("c", 25)]
    assert list(spans(objects, block=10)) == [
        Span(0, None, None, True, 1),
        Span(1, None, None, True, 10),
        Span(2, 0, 10, False, 10),
        Span(2, 10, 20, False, 10),
        Span(2, 20, 25, True, 5),
    ]


def test_window_bounds_bytes_in_flight_and_keeps_order():
    objects = [Listed(str(i), 7 + i % 50) for i in range(400)] + [Listed("big", 1000)]
    work = list(spans(objects, block=100))
    lock = threading.Lock()
    outstanding = {"bytes": 0, "peak": 0}
    consumed: list[Span] = []

    def fetch(span: Span) -> int:
        with lock:
            outstanding["bytes"] += span.cost
            outstanding["peak"] = max(outstanding["peak"], outstanding["bytes"])
        return span.cost

    def consume(span: Span, result, error) -> None:
        assert error is None and result == span.cost
        with lock:
            outstanding["bytes"] -= span.cost
        consumed.append(span)

    run_window(work, fetch, consume, workers=8, budget=300)
    assert consumed == work
    assert outstanding["peak"] <= 300


def test_fetch_errors_reach_consume_and_consume_errors_stop_the_window():
    work = list(spans([Listed(str(i), 1) for i in range(100)], block=10))
    fetched: list[int] = []

    def fetch(span: Span) -> int:
        fetched.append(span.index)
        if span.index == 3:
            raise ConnectionResetError("reset")
        return span.index

    def consume(span: Span, result, error) -> None:
        if error is not None:
            raise RuntimeError(f"object {span.index}: {error}")

    with pytest.raises(RuntimeError, match="object 3: reset"):
        run_window(work, fetch, consume, workers=4)
    assert len(fetched) < 100  # the rest was never requested


def test_skipped_objects_are_not_fetched():
    work = list(spans([Listed(str(i), 30) for i in range(4)], block=10))
    fetched: list[int] = []
    run_window(
        work,
        lambda s: fetched.append(s.index),
        lambda *a: None,
        workers=1,
        skip=lambda index: index % 2 == 1,
    )
    assert sorted(set(fetched)) == [0, 2]
