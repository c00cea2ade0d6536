"""The library-level property: a parser returns, or raises one of mbom's own errors with a
one-line message; nothing else escapes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from mbom.errors import MbomError
from tests.fuzz import census

T = TypeVar("T")


def parses_or_refuses(parse: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """``parse(*args)``: its value, or ``None`` after an :class:`MbomError` (one line)."""
    try:
        value = parse(*args, **kwargs)
    except MbomError as exc:
        message = str(exc)
        assert message and "\n" not in message, f"{type(exc).__name__}: {message!r}"
        value = None
    except Exception as exc:
        if not census.enabled():
            raise
        census.record(exc)
        return None
    if census.enabled():
        census.record(None)
    return value
