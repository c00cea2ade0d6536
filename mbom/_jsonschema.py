"""jsonschema, without the second it can take to start, and with fast IRI checks.

jsonschema imports ``rfc3987_syntax`` when it is installed (cyclonedx-python-lib's
``json-validation`` extra installs it) to check the ``iri`` and ``iri-reference`` formats, and
that module compiles a Lark grammar at import: about one second on every ``mbom validate``,
``generate`` and ``verify``. Here jsonschema is imported with that module hidden, and the two
formats are checked the way RFC 3987 section 3.1 defines IRIs: map the IRI to a URI
(non-ASCII characters percent-encoded as UTF-8) and validate that URI with
``rfc3986-validator`` (a regular expression). Everything in mbom that validates JSON gets
jsonschema from here.
"""

from __future__ import annotations

import sys
from functools import cache
from typing import Any
from urllib.parse import quote


def jsonschema() -> Any:
    """The jsonschema module, imported without ``rfc3987_syntax`` if nothing loaded it yet."""
    if "jsonschema" not in sys.modules:
        hide = "rfc3987_syntax" not in sys.modules
        if hide:
            sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # ImportError
        try:
            import jsonschema as module  # noqa: F401
        finally:
            if hide:
                sys.modules.pop("rfc3987_syntax", None)
    return sys.modules["jsonschema"]


def iri_to_uri(iri: str) -> str:
    """RFC 3987 section 3.1: percent-encode every non-ASCII character as UTF-8."""
    return "".join(char if ord(char) < 0x80 else quote(char, safe="") for char in iri)


@cache
def format_checker() -> Any:
    """Every format check jsonschema knows, with ``iri``/``iri-reference`` as above."""
    from rfc3986_validator import validate_rfc3986

    checker = jsonschema().FormatChecker()

    @checker.checks("iri")
    def is_iri(instance: object) -> bool:
        return not isinstance(instance, str) or bool(
            validate_rfc3986(iri_to_uri(instance), rule="URI")
        )

    @checker.checks("iri-reference")
    def is_iri_reference(instance: object) -> bool:
        return not isinstance(instance, str) or bool(
            validate_rfc3986(iri_to_uri(instance), rule="URI_reference")
        )

    return checker
