"""Iterative checks over parsed values: nesting depth and lone surrogates.

Parsers that build the tree without recursing (TOML dotted keys) or that cannot see a
string's code points (JSON ``\\ud800`` escapes) are checked after parsing, with an explicit
stack so that a hostile document cannot exhaust the interpreter's.
"""

from __future__ import annotations

from typing import Any


def too_deep(value: Any, limit: int) -> bool:
    """True when ``value`` nests lists/dicts more than ``limit`` levels deep (``[]`` is 1)."""
    stack: list[tuple[Any, int]] = [(value, 0)]  # (item, containers above it)
    while stack:
        item, above = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if above >= limit:
            return True
        stack.extend((child, above + 1) for child in children if isinstance(child, dict | list))
    return False


def lone_surrogate(value: Any) -> str | None:
    """The first string (key or value) in ``value`` holding a lone UTF-16 surrogate, if any.

    Such a string cannot be written as UTF-8, so it would fail later, far from its source.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not encodable(item):
                return item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def encodable(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8 (no lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
