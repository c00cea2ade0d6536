"""Shape checks for JSON documents, done once where a format is parsed.

Readers further in trust the types of the fields they touch (``material["publicKey"]["hint"]``
is a string); a hostile or broken document that breaks that trust must be refused at the
boundary with a message naming the file and the JSON path of the field, e.g.
``bundle.json: verificationMaterial.publicKey.hint: expected a string, got a list``, not
reach the user as an internal ``TypeError`` from deep inside a verifier.

Shapes describe the fields a reader relies on; unknown fields are allowed (formats grow), and
an absent field is the reader's to judge (most are optional) unless ``required`` names it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mbom.errors import MalformedFileError


class Shape:
    """A JSON type expectation: :meth:`own` judges the value itself, :meth:`parts` yields the
    nested values to judge next (checked with an explicit stack, so nesting depth never
    meets Python's recursion limit)."""

    expected: str = "a value"

    def own(self, value: Any) -> str | None:
        """Why ``value`` itself does not fit, or ``None``."""
        raise NotImplementedError

    def parts(self, value: Any, path: str) -> Iterator[tuple[Shape, Any, str]]:
        return iter(())

    def problem(self, value: Any, path: str = "") -> tuple[str, str] | None:
        """``(json path, message)`` of the first misfit in ``value``, or ``None``."""
        stack: list[tuple[Shape, Any, str]] = [(self, value, path)]
        while stack:
            shape, item, where = stack.pop()
            message = shape.own(item)
            if message is not None:
                return where, message
            stack.extend(reversed(list(shape.parts(item, where))))
        return None


def json_type(value: Any) -> str:
    """The JSON type of ``value``: ``null``, ``boolean``, ``integer``, ``number``, ``string``,
    ``list``, ``object``, or the Python type's name for anything else."""
    if value is None:
        return "null"
    for python_type, name in _JSON_TYPES:
        if isinstance(value, python_type):
            return name
    return type(value).__name__


_JSON_TYPES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "boolean"),  # before int: a bool is an int to Python
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "list"),
    (Mapping, "object"),
)


def describe(value: Any) -> str:
    """The JSON type of ``value`` in words: ``a list``, ``an integer``, ``null``..."""
    name = json_type(value)
    if not any(isinstance(value, python_type) for python_type, _name in _JSON_TYPES):
        return name  # null, or not a JSON value at all
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


@dataclass(frozen=True)
class Scalar(Shape):
    """One of the given Python types (``bool`` never passes for ``int``)."""

    types: tuple[type, ...]
    expected: str
    nullable: bool = False

    def own(self, value: Any) -> str | None:
        if value is None and self.nullable:
            return None
        if isinstance(value, self.types) and (bool in self.types or not isinstance(value, bool)):
            return None
        return f"expected {self.expected}, got {describe(value)}"


@dataclass(frozen=True)
class Object(Shape):
    """A JSON object whose listed fields (when present) have the given shapes.

    ``fields`` may be filled in after construction, for recursive formats (a component's
    ``components`` are components)."""

    fields: dict[str, Shape] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    nullable: bool = False
    expected: str = "an object"

    def own(self, value: Any) -> str | None:
        if value is None and self.nullable:
            return None
        if not isinstance(value, Mapping):
            return f"expected an object, got {describe(value)}"
        missing = next((name for name in self.required if name not in value), None)
        return None if missing is None else f"{missing}: missing"

    def parts(self, value: Any, path: str) -> Iterator[tuple[Shape, Any, str]]:
        if isinstance(value, Mapping):
            for name, shape in self.fields.items():
                if name in value:
                    yield shape, value[name], _join(path, name)


@dataclass(frozen=True)
class ListOf(Shape):
    """A JSON array whose items all have one shape."""

    item: Shape
    nullable: bool = False
    expected: str = "a list"

    def own(self, value: Any) -> str | None:
        if value is None and self.nullable:
            return None
        return None if isinstance(value, list) else f"expected a list, got {describe(value)}"

    def parts(self, value: Any, path: str) -> Iterator[tuple[Shape, Any, str]]:
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield self.item, item, f"{path}[{index}]"


@dataclass(frozen=True)
class AnyOf(Shape):
    """The first of ``options`` whose own type fits decides (e.g. a list or an object)."""

    options: tuple[Shape, ...]
    expected: str = "a value"

    def own(self, value: Any) -> str | None:
        if any(option.own(value) is None for option in self.options):
            return None
        return f"expected {self.expected}, got {describe(value)}"

    def parts(self, value: Any, path: str) -> Iterator[tuple[Shape, Any, str]]:
        option = next(o for o in self.options if o.own(value) is None)
        return option.parts(value, path)


def short_path(path: str, limit: int = 120) -> str:
    """``path``, its middle elided when a deeply nested field would make the message huge."""
    return path if len(path) <= limit else f"{path[:40]}...{path[-(limit - 43) :]}"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


STRING = Scalar((str,), "a string")
OPTIONAL_STRING = Scalar((str,), "a string", nullable=True)
#: protobuf JSON writes 64-bit integers as decimal strings; readers accept both.
INT64 = Scalar((int, str), "an integer or a decimal string")
BOOLEAN = Scalar((bool,), "true or false")


def check_shape(value: Any, shape: Shape, source: str, *, root: str = "") -> None:
    """Raise :class:`MalformedFileError` ``SOURCE: PATH: expected X, got Y`` on a misfit."""
    found = shape.problem(value, root)
    if found is not None:
        where, message = short_path(found[0]), found[1]
        prefix = f"{source}: {where}: " if where else f"{source}: "
        raise MalformedFileError(prefix + message, path=source)
