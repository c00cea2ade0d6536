"""Strict YAML: safe tags only, no duplicate keys, alias expansion and depth bounded.

PyYAML's ``safe_load`` keeps the last of two equal keys (``mode: enforce`` ... ``mode: warn``
reads as warn) and expands aliases lazily into shared objects, so a 400-byte "billion laughs"
parses at once and then costs whatever walks it (schema validation, conversion) minutes and
gigabytes. :class:`StrictLoader` accounts for every event the composer consumes: the size and
height of each anchored node are known when its alias is met, so the expanded size and depth
of the whole document are bounded before any node is built from it.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    ScalarEvent,
)
from yaml.nodes import ScalarNode

from mbom.load._limits import (
    MAX_ALIAS_NODES,
    MAX_DEPTH,
    MAX_NODES,
    check_size,
    int_digits_limit,
    malformed,
)
from mbom.load._tree import encodable

_MERGE = "tag:yaml.org,2002:merge"


class LimitError(yaml.MarkedYAMLError):
    """A document over one of the bounds of :mod:`mbom.load`."""


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys and unbounded alias expansion."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._open: list[list[Any]] = []  # [values, height, anchor] of each open collection
        self._closed: dict[str, tuple[int, int]] = {}  # anchor -> (values, height)
        self._total = 0
        self._aliased = 0

    def get_event(self) -> Any:
        event = super().get_event()
        if isinstance(event, CollectionStartEvent):
            self._grow(event, 1)
            self._open.append([1, 1, event.anchor])
            if len(self._open) > MAX_DEPTH:
                raise self._limit(event, f"nested deeper than {MAX_DEPTH} levels")
        elif isinstance(event, CollectionEndEvent):
            values, height, anchor = self._open.pop()
            if anchor is not None:
                self._closed[anchor] = (values, height)
            self._add_to_parent(values, height)
        elif isinstance(event, ScalarEvent):
            if not encodable(event.value):
                raise self._limit(event, "a string holds a lone UTF-16 surrogate")
            self._grow(event, 1)
            if event.anchor is not None:
                self._closed[event.anchor] = (1, 0)
            self._add_to_parent(1, 0)
        elif isinstance(event, AliasEvent):
            self._alias(event)
        return event

    def _alias(self, event: AliasEvent) -> None:
        if any(frame[2] == event.anchor for frame in self._open):
            raise self._limit(
                event,
                f"nested deeper than {MAX_DEPTH} levels: alias *{event.anchor} refers to a "
                "node that contains it",
            )
        size = self._closed.get(event.anchor)
        if size is None:
            return  # the composer reports the undefined alias
        values, height = size
        self._aliased += values
        if self._aliased > MAX_ALIAS_NODES:
            raise self._limit(
                event, f"aliases expand to more than {MAX_ALIAS_NODES} values; refusing"
            )
        self._grow(event, values)
        if len(self._open) + height > MAX_DEPTH:
            raise self._limit(event, f"nested deeper than {MAX_DEPTH} levels once aliases expand")
        self._add_to_parent(values, height)

    def _grow(self, event: Any, values: int) -> None:
        self._total += values
        if self._total > MAX_NODES:
            raise self._limit(event, f"more than {MAX_NODES} values; refusing")

    def _add_to_parent(self, values: int, height: int) -> None:
        if self._open:
            parent = self._open[-1]
            parent[0] += values
            parent[1] = max(parent[1], height + 1)

    @staticmethod
    def _limit(event: Any, problem: str) -> LimitError:
        return LimitError(problem=problem, problem_mark=event.start_mark)

    def compose_mapping_node(self, anchor: Any) -> Any:
        """Compose a mapping, refusing a key given twice (merge keys ``<<`` still merge)."""
        node = super().compose_mapping_node(anchor)
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode):
                continue  # a collection as key: the constructor refuses it (unhashable)
            key = "<<" if key_node.tag == _MERGE else self.construct_object(key_node)
            try:
                first = seen.setdefault(key, key_node)
            except TypeError:
                continue
            if first is not key_node:
                raise yaml.MarkedYAMLError(
                    context=f"duplicate key {key_node.value!r}; first given",
                    context_mark=first.start_mark,
                    problem=f"duplicate key {key_node.value!r}",
                    problem_mark=key_node.start_mark,
                )
        return node


def load_yaml(text: str, name: str, *, line_offset: int = 0) -> Any:
    """Parse one YAML document with :class:`StrictLoader` (safe tags only).

    ``line_offset`` is added to reported line numbers, for YAML embedded in a larger file
    (model-card front matter starts after the ``---`` line). Every failure, a bound included,
    is one :class:`~mbom.errors.MalformedFileError` naming ``name`` and the line.
    """
    check_size(text, name, "YAML")
    loader: StrictLoader | None = None
    try:
        # Inside the try (fuzz workstream fix): PyYAML's Reader rejects control characters
        # while the loader is built, raising ReaderError before any event is read.
        loader = StrictLoader(text)
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = exc.problem or exc.context or "syntax error"
        if mark is None:
            raise malformed(name, "YAML", detail) from None
        raise malformed(
            name, "YAML", detail, mark.line + 1 + line_offset, mark.column + 1
        ) from None
    except yaml.YAMLError as exc:  # ReaderError (control characters) and other unmarked errors
        position = getattr(exc, "position", None)
        line = None
        if isinstance(position, int):
            line = text.count("\n", 0, position) + 1 + line_offset
        raise malformed(name, "YAML", str(exc).splitlines()[0] if str(exc) else "", line) from None
    except RecursionError:  # bounded above; only a caller already deep in its stack gets here
        raise malformed(name, "YAML", f"nested deeper than {MAX_DEPTH} levels") from None
    except (ValueError, OverflowError) as exc:  # a timestamp like 2024-13-45, a huge integer
        detail = str(exc)
        if "integer string conversion" in detail:
            detail = f"an integer has more than {int_digits_limit()} digits"
        raise malformed(name, "YAML", detail) from None
    except (KeyError, IndexError, AttributeError, TypeError) as exc:
        # PyYAML's constructors fail this way on a scalar that does not fit its explicit tag
        # (``!!bool maybe``, ``!!float ""``, ``!!timestamp 2001-12#-14``).
        raise malformed(
            name, "YAML", f"a value does not fit its tag ({type(exc).__name__}: {exc})"
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
