"""The one strict loader for structured input: JSON, YAML and TOML (docs/threat-model.md).

Usage::

    from mbom.load import load_json, load_toml, load_yaml, parse_json, read_text

    policy = load_yaml(read_text("policy.yaml"), "policy.yaml")
    bom = parse_json(data)          # JsonSyntaxError(reason) for callers that word their own

Every file mbom reads that a user or an attacker supplies goes through here, so every reader
refuses the same things the same way: a key given twice (the JSON spec leaves it undefined,
PyYAML and ``json`` keep the last value: a policy's ``mode: enforce`` ... ``mode: warn`` read
as warn), nesting deeper than :data:`MAX_DEPTH`, YAML aliases expanding past
:data:`MAX_ALIAS_NODES` values ("billion laughs"), integers over :data:`MAX_INT_DIGITS` digits,
strings with lone surrogates, NaN/Infinity in JSON (allowed only for configs Python wrote),
texts over :data:`MAX_TEXT_CHARS`. Only safe YAML tags are constructed. Failures are one
:class:`~mbom.errors.MalformedFileError` (exit 2) naming the file and, where known, the line;
a reader for which the input is the attacker's (a bundle in ``verify``) turns it into a failing
check instead.
"""

from __future__ import annotations

from mbom._lazy import lazy_exports

#: public name -> submodule of mbom.load that defines it (YAML loads PyYAML only when used)
_EXPORTS = {
    "JsonSyntaxError": "_json",
    "json_error": "_json",
    "load_json": "_json",
    "nesting_depth_exceeds": "_json",
    "parse_json": "_json",
    "MAX_ALIAS_NODES": "_limits",
    "MAX_DEPTH": "_limits",
    "MAX_INT_DIGITS": "_limits",
    "MAX_NODES": "_limits",
    "MAX_TEXT_CHARS": "_limits",
    "malformed": "_limits",
    "MAX_TEXT_FILE_BYTES": "_text",
    "read_text": "_text",
    "load_toml": "_toml",
    "StrictLoader": "_yaml",
    "load_yaml": "_yaml",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
