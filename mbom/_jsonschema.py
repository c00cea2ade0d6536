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

#: Optional format-checker back-ends jsonschema imports if installed, for formats no schema
#: mbom validates against uses (the CycloneDX schemas and schemas/ use date, date-time, uri,
#: idn-email and iri-reference): rfc3987_syntax (iri, ~1 s), isoduration (duration, pulls in
#: arrow and dateutil, ~20 ms), webcolors, uri_template, jsonpointer, fqdn.
_UNUSED_BACKENDS = (
    "rfc3987_syntax",
    "isoduration",
    "webcolors",
    "uri_template",
    "jsonpointer",
    "fqdn",
)


def jsonschema() -> Any:
    """The jsonschema module, imported without the unused format back-ends (if not loaded yet).

    They are hidden only while jsonschema itself is imported: other code importing them later
    gets them as usual.
    """
    if "jsonschema" not in sys.modules:
        hidden = [name for name in _UNUSED_BACKENDS if name not in sys.modules]
        for name in hidden:
            sys.modules[name] = None  # type: ignore[assignment]  # makes the import fail
        try:
            import jsonschema as module  # noqa: F401
        finally:
            for name in hidden:
                sys.modules.pop(name, None)
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
