"""jsonschema, without the second it can take to start, and with fast IRI checks.

jsonschema imports ``rfc3987_syntax`` when it is installed (cyclonedx-python-lib's
``json-validation`` extra installs it) to check the ``iri`` and ``iri-reference`` formats, and
that module compiles a Lark grammar at import: about one second on every ``mbom validate``,
``generate`` and ``verify``. Here jsonschema is imported with that module hidden, and the two
formats are checked the way RFC 3987 section 3.1 defines IRIs: map the IRI to a URI
(non-ASCII characters percent-encoded as UTF-8) and validate that URI with
``rfc3986-validator`` (a regular expression). ``rfc3986-validator`` compiles its expressions
when imported (~25 ms, on every ``generate`` and ``verify``), and most BOMs hold no URI, so
it is hidden from jsonschema's import too and loaded at the first URI or IRI checked: the
``uri`` and ``uri-reference`` checks registered here are jsonschema's own (same function,
same ``ValueError`` handling). Everything in mbom that validates JSON gets jsonschema from
here.
"""

from __future__ import annotations

import sys
from functools import cache
from typing import Any
from urllib.parse import quote

#: Format-checker back-ends jsonschema imports if installed, hidden from its import. Most are
#: for formats no schema mbom validates against uses (the CycloneDX schemas and schemas/ use
#: date, date-time, uri, idn-email and iri-reference): rfc3987_syntax (iri, ~1 s),
#: isoduration (duration, pulls in arrow and dateutil, ~20 ms), webcolors, uri_template,
#: jsonpointer, fqdn. rfc3986_validator is used, but imported at its first check.
_DEFERRED_BACKENDS = (
    "rfc3987_syntax",
    "isoduration",
    "webcolors",
    "uri_template",
    "jsonpointer",
    "fqdn",
    "rfc3986_validator",
)


def jsonschema() -> Any:
    """The jsonschema module, imported without those format back-ends (if not loaded yet).

    They are hidden only while jsonschema itself is imported: other code importing them later
    gets them as usual.
    """
    if "jsonschema" not in sys.modules:
        hidden = [name for name in _DEFERRED_BACKENDS if name not in sys.modules]
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


def _rfc3986(text: str, rule: str) -> bool:
    from rfc3986_validator import validate_rfc3986

    return bool(validate_rfc3986(text, rule=rule))


@cache
def format_checker() -> Any:
    """Every format check jsonschema knows, with ``uri``/``uri-reference`` (as jsonschema
    has them) and ``iri``/``iri-reference`` (as above) importing rfc3986-validator late."""
    checker = jsonschema().FormatChecker()

    @checker.checks("uri")
    def is_uri(instance: object) -> bool:
        return not isinstance(instance, str) or _rfc3986(instance, "URI")

    @checker.checks("uri-reference", raises=ValueError)
    def is_uri_reference(instance: object) -> bool:
        return not isinstance(instance, str) or _rfc3986(instance, "URI_reference")

    @checker.checks("iri")
    def is_iri(instance: object) -> bool:
        return not isinstance(instance, str) or _rfc3986(iri_to_uri(instance), "URI")

    @checker.checks("iri-reference")
    def is_iri_reference(instance: object) -> bool:
        return not isinstance(instance, str) or _rfc3986(iri_to_uri(instance), "URI_reference")

    return checker
