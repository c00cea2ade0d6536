"""Find the places in a BOM that declare or use a bom-ref, and its hashes, guided by the schema.

Which fields are references differs by spec version (1.6 added ``provides``, attestations and
crypto refs; 1.7 patents and citations), so rather than keep a list per version this walks the
document alongside the official schema and records every value whose schema is a reference type
(``refLinkType``, ``refType`` other than a ``bom-ref`` declaration, ``bomLinkElementType``,
``bomLink``) and every object whose schema is ``hash``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mbom.bom.findings import json_pointer

LOCAL = "local"  # must name a bom-ref in this BOM
BOM_LINK = "bom-link"  # may be a urn:cdx: BOM-Link to this or another BOM

_REF_DEFINITIONS = {
    "refLinkType": LOCAL,
    "refType": LOCAL,
    "bomLinkElementType": BOM_LINK,
    "bomLink": BOM_LINK,
}
_HASH_DEFINITION = "hash"
_DEFINITIONS_PREFIX = "#/definitions/"
_COMBINATORS = ("allOf", "anyOf", "oneOf", "then", "else")

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class RefSite:
    """A string in the document that refers to a bom-ref (``kinds``: LOCAL and/or BOM_LINK)."""

    pointer: str
    value: str
    kinds: frozenset[str]


@dataclass(frozen=True, slots=True)
class HashSite:
    """A ``{"alg", "content"}`` object in the document."""

    pointer: str
    alg: Any
    content: Any


@dataclass(frozen=True, slots=True)
class Sites:
    refs: tuple[RefSite, ...]
    hashes: tuple[HashSite, ...]


def bom_ref_declarations(doc: Any) -> Iterator[tuple[str, str]]:
    """Every ``"bom-ref": "..."`` anywhere in the document, as (value, JSON pointer)."""
    stack: list[tuple[Any, Path]] = [(doc, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            ref = node.get("bom-ref")
            if isinstance(ref, str):
                yield ref, json_pointer((*path, "bom-ref"))
            stack.extend((v, (*path, k)) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((v, (*path, i)) for i, v in reversed(list(enumerate(node))))


def _children(schema: dict[str, Any], node: Any, path: Path) -> Iterator[tuple[Any, Any, Path]]:
    """(sub-schema, sub-node, path) pairs to visit below ``node`` under ``schema``."""
    for word in _COMBINATORS:
        sub = schema.get(word)
        for branch in sub if isinstance(sub, list) else [sub] if sub is not None else []:
            yield branch, node, path
    if isinstance(node, dict):
        props = schema.get("properties", {})
        patterns = schema.get("patternProperties", {})
        extra = schema.get("additionalProperties")
        for key, value in node.items():
            if key in props:
                yield props[key], value, (*path, key)
            matched = [s for p, s in patterns.items() if re.search(p, key)]
            yield from ((s, value, (*path, key)) for s in matched)
            if key not in props and not matched and isinstance(extra, dict):
                yield extra, value, (*path, key)
    elif isinstance(node, list):
        items = schema.get("items")
        if isinstance(items, dict):
            yield from ((items, v, (*path, i)) for i, v in enumerate(node))
        elif isinstance(items, list):
            yield from ((s, v, (*path, i)) for i, (s, v) in enumerate(zip(items, node)))


def find_sites(doc: Any, schema: dict[str, Any]) -> Sites:
    """Walk ``doc`` with ``schema`` and return its reference and hash sites, in document order."""
    definitions = schema.get("definitions", {})
    refs: dict[str, tuple[str, set[str]]] = {}
    hashes: dict[str, HashSite] = {}
    seen: set[tuple[int, Path]] = set()
    stack: list[tuple[Any, Any, Path]] = [(schema, doc, ())]
    while stack:
        sub, node, path = stack.pop()
        if not isinstance(sub, dict) or (id(sub), path) in seen:
            continue
        seen.add((id(sub), path))
        target = sub.get("$ref")
        if isinstance(target, str):
            if not target.startswith(_DEFINITIONS_PREFIX):
                continue  # spdx / jsf / crypto enums: no references inside
            name = target[len(_DEFINITIONS_PREFIX) :]
            kind = _REF_DEFINITIONS.get(name)
            if kind is not None:
                if isinstance(node, str) and (not path or path[-1] != "bom-ref"):
                    pointer = json_pointer(path)
                    refs.setdefault(pointer, (node, set()))[1].add(kind)
                continue
            if name == _HASH_DEFINITION and isinstance(node, dict):
                pointer = json_pointer(path)
                hashes[pointer] = HashSite(pointer, node.get("alg"), node.get("content"))
                continue
            stack.append((definitions.get(name), node, path))
            continue
        stack.extend(reversed(list(_children(sub, node, path))))
    return Sites(
        refs=tuple(RefSite(p, v, frozenset(k)) for p, (v, k) in refs.items()),
        hashes=tuple(hashes.values()),
    )
