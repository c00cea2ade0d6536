"""Value types for what a BOM validation found.

Kept apart from the checks so that the schema, parsing and semantic checks can all produce the
same ``Finding`` without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a BOM.

    ``code`` is a stable short identifier (e.g. ``"dangling-ref"``) for tools and tests;
    ``message`` is the sentence a person reads; ``pointer`` is an RFC 6901 JSON pointer into
    the document (``""`` is the whole document) or ``None`` when no location is known.
    """

    code: str
    message: str
    pointer: str | None = None

    def __str__(self) -> str:
        if self.pointer:
            return f"{self.pointer}: {self.message}"
        return self.message


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """The verdict on one BOM: errors make it invalid, warnings do not."""

    spec_version: str | None
    errors: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the BOM has no errors (warnings are allowed)."""
        return not self.errors


def json_pointer(parts: tuple[str | int, ...] | list[str | int]) -> str:
    """Build an RFC 6901 JSON pointer from path parts (``~`` and ``/`` escaped)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)
