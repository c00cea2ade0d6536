"""Checks the JSON schema cannot express: unique bom-refs, resolvable references, hash lengths.

Duplicate bom-refs and hash values of the wrong length for their algorithm make a BOM ambiguous
or unverifiable, so they are errors. A reference to a bom-ref nothing declares is a warning: the
published CycloneDX test vectors themselves contain one, and the BOM is still usable.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from mbom.bom._refs import LOCAL, HashSite, RefSite, Sites, bom_ref_declarations
from mbom.bom.findings import Finding

#: Hex digits of a digest per CycloneDX hash algorithm.
HEX_LENGTH: dict[str, int] = {
    "MD5": 32,
    "SHA-1": 40,
    "SHA-256": 64,
    "SHA-384": 96,
    "SHA-512": 128,
    "SHA3-256": 64,
    "SHA3-384": 96,
    "SHA3-512": 128,
    "BLAKE2b-256": 64,
    "BLAKE2b-384": 96,
    "BLAKE2b-512": 128,
    "BLAKE3": 64,
}
_HEX = re.compile(r"[0-9a-fA-F]+")
_BOM_LINK = re.compile(r"^urn:cdx:(?P<serial>[^/]+)/(?P<version>[0-9]+)(?:#(?P<fragment>.+))?$")
_SHOWN = 80


@dataclass(frozen=True, slots=True)
class SemanticFindings:
    errors: tuple[Finding, ...]
    warnings: tuple[Finding, ...]


def _short(value: str) -> str:
    return value if len(value) <= _SHOWN else value[: _SHOWN - 1] + "…"


def _duplicate_bom_refs(declarations: list[tuple[str, str]]) -> list[Finding]:
    first: dict[str, str] = {}
    found = []
    for ref, pointer in declarations:
        if ref in first:
            found.append(
                Finding(
                    "duplicate-bom-ref",
                    f"bom-ref {ref!r} is already declared at {first[ref]}; "
                    "bom-refs must be unique within a BOM",
                    pointer,
                )
            )
        else:
            first[ref] = pointer
    return found


def _own_bom_link_target(doc: dict[str, Any], value: str) -> str | None:
    """The bom-ref a BOM-Link names when it points into this very BOM (same serial, version)."""
    match = _BOM_LINK.match(value)
    serial = doc.get("serialNumber")
    if not match or not match["fragment"] or not isinstance(serial, str):
        return None
    if f"urn:uuid:{match['serial']}" != serial or int(match["version"]) != doc.get("version", 1):
        return None
    return unquote(match["fragment"])


def _dangling(
    doc: dict[str, Any], refs: tuple[RefSite, ...], declarations: list[tuple[str, str]]
) -> list[Finding]:
    """One warning per undeclared target, at its first reference, counting the others."""
    declared = {ref for ref, _ in declarations}
    missing: dict[str, list[RefSite]] = {}
    for site in refs:
        if site.value.startswith("urn:cdx:"):
            target = _own_bom_link_target(doc, site.value)  # links to other BOMs: not checkable
        elif LOCAL in site.kinds:
            target = site.value
        else:
            continue  # e.g. an externalReference url that is an ordinary URL
        if target is not None and target not in declared:
            missing.setdefault(target, []).append(site)
    found = []
    for target, sites in missing.items():
        first = sites[0]
        via = f"BOM-Link {_short(first.value)!r} names" if first.value != target else "refers to"
        more = len(sites) - 1
        also = f" (referenced {more} more time{'s' if more > 1 else ''})" if more else ""
        found.append(
            Finding(
                "dangling-ref",
                f"{via} bom-ref {_short(target)!r}, which nothing in this BOM declares{also}",
                first.pointer,
            )
        )
    return found


def _hash_content(site: HashSite) -> Finding | None:
    want = HEX_LENGTH.get(site.alg) if isinstance(site.alg, str) else None
    if want is None or not isinstance(site.content, str):
        return None  # unknown algorithm or missing content: the schema reports it
    pointer = f"{site.pointer}/content"
    if not _HEX.fullmatch(site.content):
        return Finding(
            "hash-content",
            f"{site.alg} hash content {_short(site.content)!r} is not hexadecimal",
            pointer,
        )
    if len(site.content) != want:
        return Finding(
            "hash-content",
            f"{site.alg} hash content has {len(site.content)} hex digits; {site.alg} has {want}",
            pointer,
        )
    return None


def _duplicate_algs(hashes: tuple[HashSite, ...]) -> list[Finding]:
    lists: dict[str, list[HashSite]] = defaultdict(list)
    for site in hashes:
        lists[site.pointer.rsplit("/", 1)[0]].append(site)
    found = []
    for pointer, sites in lists.items():
        counts = Counter(s.alg for s in sites if isinstance(s.alg, str))
        for alg, n in counts.items():
            if n > 1:
                contents = {s.content for s in sites if s.alg == alg and isinstance(s.content, str)}
                differ = " with different values" if len(contents) > 1 else ""
                found.append(
                    Finding(
                        "duplicate-hash-alg",
                        f"hash algorithm {alg!r} is listed {n} times{differ}",
                        pointer,
                    )
                )
    return found


def _unsafe_checkpoints(doc: dict[str, Any]) -> list[Finding]:
    """One warning per model file the BOM records as unsafe to load (it names the callables)."""
    from mbom.bom.subjects import recorded_file_safety
    from mbom.errors import MalformedFileError

    try:
        files = recorded_file_safety(doc)
    except (MalformedFileError, AttributeError, TypeError):
        return []
    return [
        Finding("unsafe-checkpoint", f"model file {f.path} is unsafe to load: {f.describe()}")
        for f in files
        if f.safe is False
    ]


def semantic_findings(doc: dict[str, Any], sites: Sites) -> SemanticFindings:
    """Run every semantic check on a parsed BOM whose reference and hash sites are known."""
    hash_errors = [f for f in map(_hash_content, sites.hashes) if f is not None]
    declarations = list(bom_ref_declarations(doc))  # one walk of the document for both
    return SemanticFindings(
        errors=(*_duplicate_bom_refs(declarations), *hash_errors),
        warnings=(
            *_dangling(doc, sites.refs, declarations),
            *_duplicate_algs(sites.hashes),
            *_unsafe_checkpoints(doc),
        ),
    )
