"""jsonschema, without the second it can take to start, and with fast IRI checks.

jsonschema imports ``rfc3987_syntax`` when it is installed (cyclonedx-python-lib's
``json-validation`` extra installs it) to check the ``iri`` and ``iri-reference`` formats, and
that module compiles a Lark grammar at import: about one second on every ``mbom validate``,
``generate`` and ``verify``. A few other format back-ends cost 5-40 ms each at import
(``isoduration`` pulls in arrow and dateutil; ``rfc3986_validator`` compiles its expressions),
and most documents never reach the formats they check.

So while jsonschema itself is imported, each of those back-ends is replaced by a stand-in
(:class:`_Deferred`) that imports the real module at the first check that calls into it.
jsonschema registers exactly the checks it would have registered with the real modules, in
its global checkers too: other code in the same process (cyclonedx-python-lib's validator, a
user's own ``jsonschema.FormatChecker()``) gets every format check it would have had without
mbom. The stand-ins live only in jsonschema's namespace; later imports get the real modules.

mbom's own checker (:func:`format_checker`) differs in one way: ``iri`` and ``iri-reference``
are checked the way RFC 3987 section 3.1 defines IRIs, by mapping the IRI to a URI (non-ASCII
characters percent-encoded as UTF-8) and validating that URI with ``rfc3986-validator``, so
mbom never pays for rfc3987_syntax's grammar. Everything in mbom that validates JSON gets
jsonschema from here.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from functools import cache
from typing import Any
from urllib.parse import quote

#: Format-checker back-ends jsonschema imports if installed, deferred: each maps to the names
#: jsonschema takes from it at its own import (``from fqdn import FQDN``), which the stand-in
#: provides as functions that load the back-end when called, and to the exception classes it
#: names in ``raises=`` at import, which the stand-in provides as their base class (the
#: real class cannot be had without importing the module). Attributes read only inside a
#: check (``webcolors.name_to_hex``) load the back-end when read. jsonpointer is not
#: deferred: its exception's base is ``Exception`` (too wide to stand in), and it loads in
#: ~2 ms.
_DEFERRED_BACKENDS: dict[str, tuple[tuple[str, ...], dict[str, type[BaseException]]]] = {
    "rfc3987_syntax": (("is_valid_syntax",), {}),  # iri, iri-reference: ~1 s
    "rfc3986_validator": (("validate_rfc3986",), {}),  # uri, uri-reference: ~25 ms
    "isoduration": (("parse_duration",), {"DurationParsingException": ValueError}),  # ~20 ms
    "webcolors": ((), {}),  # draft 3 color: ~10 ms
    "uri_template": ((), {}),  # uri-template: ~5 ms
    "fqdn": (("FQDN",), {}),  # hostname
}


class _Deferred(types.ModuleType):
    """Stands in for a format back-end inside jsonschema's namespace until first used."""

    def __init__(
        self, name: str, functions: tuple[str, ...], exceptions: dict[str, type[BaseException]]
    ) -> None:
        super().__init__(name)
        for function in functions:
            setattr(self, function, _loads_on_call(name, function))
        for exception, base in exceptions.items():
            setattr(self, exception, base)

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):  # the import system probes __path__ and the like
            raise AttributeError(attribute)
        return getattr(importlib.import_module(self.__name__), attribute)


def _loads_on_call(module: str, name: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


def jsonschema() -> Any:
    """The jsonschema module, imported with its costly format back-ends deferred (if not
    loaded yet)."""
    if "jsonschema" not in sys.modules:
        standing_in = [
            name
            for name in _DEFERRED_BACKENDS
            if name not in sys.modules and importlib.util.find_spec(name) is not None
        ]
        for name in standing_in:
            sys.modules[name] = _Deferred(name, *_DEFERRED_BACKENDS[name])
        try:
            import jsonschema as module  # noqa: F401
        finally:
            for name in standing_in:
                if isinstance(sys.modules.get(name), _Deferred):
                    del sys.modules[name]
    return sys.modules["jsonschema"]


def iri_to_uri(iri: str) -> str:
    """RFC 3987 section 3.1: percent-encode every non-ASCII character as UTF-8."""
    return "".join(char if ord(char) < 0x80 else quote(char, safe="") for char in iri)


def _rfc3986(text: str, rule: str) -> bool:
    from rfc3986_validator import validate_rfc3986

    return bool(validate_rfc3986(text, rule=rule))


@cache
def format_checker() -> Any:
    """Every format check jsonschema knows, with ``iri``/``iri-reference`` checked as above."""
    checker = jsonschema().FormatChecker()

    @checker.checks("iri")
    def is_iri(instance: object) -> bool:
        return not isinstance(instance, str) or _rfc3986(iri_to_uri(instance), "URI")

    @checker.checks("iri-reference")
    def is_iri_reference(instance: object) -> bool:
        return not isinstance(instance, str) or _rfc3986(iri_to_uri(instance), "URI_reference")

    return checker


# ------------------------------------------------------------------------ the native verdict
#
# jsonschema-rs decides whether a document is valid: it loads in a few milliseconds where
# jsonschema with referencing and attrs takes 60-80, and validates a BOM in 0.2 ms where
# jsonschema takes 15. jsonschema (above) then runs only to explain a document the verdict
# refused, with the messages mbom's readers are written for. One set of rules for every
# schema mbom checks (the CycloneDX BOM, the policy, mbom.yaml): docs/validation.md.


def _refuse_fetch(uri: str) -> Any:
    """The verdict's retriever: nothing is ever fetched (every schema ships with mbom)."""
    raise ValueError(f"{uri}: not among the shipped schemas (nothing is fetched)")


def verdict_validator(
    schema: dict[str, Any],
    *,
    draft: int,
    formats: bool,
    resources: tuple[tuple[str, dict[str, Any]], ...] = (),
) -> Any:
    """A jsonschema-rs validator of ``schema`` (``draft`` 7 or 2020), its references resolved
    among ``resources`` (URI, schema) and never fetched; ``formats``: check ``format``."""
    import jsonschema_rs

    kinds = {7: jsonschema_rs.Draft7Validator, 2020: jsonschema_rs.Draft202012Validator}
    registry = jsonschema_rs.Registry(list(resources), retriever=_refuse_fetch)
    return kinds[draft](
        schema, registry=registry, retriever=_refuse_fetch, validate_formats=formats
    )


def verdict(validator: Any, data: Any, *, bounded: bool = False) -> bool | None:
    """Whether ``data`` is valid; None when jsonschema-rs cannot read it (a value that is not
    JSON, such as a YAML date, or nesting past :data:`~mbom.load.MAX_DEPTH`: native code has
    no recursion guard): jsonschema then decides. ``bounded``: ``data`` came from
    :mod:`mbom.load`, which refused it deeper than that, so the depth is not walked again
    (160 ms on the BOM of a 20,000-file model, eight times its validation)."""
    if not bounded:
        from mbom.load import MAX_DEPTH
        from mbom.load._tree import too_deep

        if too_deep(data, MAX_DEPTH):
            return None
    try:
        return bool(validator.is_valid(data))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # "Unsupported type" (ValueError), or a panic in the native code
        return None


def verdict_errors(validator: Any, data: Any) -> list[tuple[str, str, list[str | int]]]:
    """(keyword, message, instance path) of every violation the verdict sees; one without a
    place if it cannot list them (it refused the document, so there is at least one)."""
    try:
        errors = list(validator.iter_errors(data))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:
        return [("", "the document does not match its schema", [])]
    return [(str((e.schema_path or [""])[-1]), e.message, e.instance_path) for e in errors]
