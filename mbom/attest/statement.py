"""in-toto Statement v1 about a model: what is signed, as canonical bytes.

Usage::

    from mbom.attest.statement import bom_statement, parse_statement

    statement = bom_statement(bom)        # subjects = the model's files listed in the BOM
    payload = statement.to_json()         # RFC 8785 bytes: the DSSE payload
    again = parse_statement(payload)      # checks _type, subjects and predicateType

The subjects are the model's files (name = POSIX path relative to the model root, digest =
``{"sha256": hex}``), so ``sigstore verify`` and other in-toto tools can bind one file to the
attestation; the predicate is the whole CycloneDX BOM.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mbom.canonical import canonical_json
from mbom.errors import MalformedFileError

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
BOM_PREDICATE_TYPE = "https://cyclonedx.org/bom"
#: The CycloneDX host. Its documented predicate types: ``/bom`` (in-toto attestation spec,
#: cosign 2, syft), ``/bom/v1.4`` (the spec's example), ``/schema`` (cosign 1, in-toto-golang
#: before 0.5); any other path on this host is read as a BOM too (fail closed).
_CYCLONEDX_HOSTS = frozenset({"cyclonedx.org", "www.cyclonedx.org"})
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Subject:
    """One thing the statement is about: a name and its digests (algorithm -> lowercase hex)."""

    name: str
    digest: Mapping[str, str]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "digest": dict(self.digest)}


@dataclass(frozen=True, slots=True)
class Statement:
    """An in-toto Statement v1."""

    subjects: tuple[Subject, ...]
    predicate_type: str
    predicate: Mapping[str, Any]

    @property
    def is_bom(self) -> bool:
        """True when the predicate is a CycloneDX BOM (any accepted predicateType spelling)."""
        return is_bom_predicate_type(self.predicate_type)

    def as_json(self) -> dict[str, Any]:
        return {
            "_type": STATEMENT_TYPE,
            "subject": [subject.as_json() for subject in self.subjects],
            "predicateType": self.predicate_type,
            "predicate": self.predicate,
        }

    def to_json(self) -> bytes:
        """The canonical payload bytes (RFC 8785): one statement, one byte string."""
        return canonical_json(self.as_json())

    def subject_for(self, sha256: str) -> Subject | None:
        """The first subject whose SHA-256 digest is ``sha256`` (hex), if any."""
        wanted = sha256.lower()
        return next((s for s in self.subjects if s.digest.get("sha256") == wanted), None)


def is_bom_predicate_type(predicate_type: str) -> bool:
    """True for every predicateType that names CycloneDX: the one place that decides.

    Any ``http(s)://cyclonedx.org/...`` URI (host in any case, ``www.``, a port, a trailing
    slash, ``/bom``, ``/bom/v1.6.1``, ``/schema``) is read as an MBOM, never as a plain
    in-toto statement: a BOM must list every model file, so a spelling mbom did not expect
    must not weaken the binding (docs/verify.md).
    """
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(predicate_type.strip())
        host = (parts.hostname or "").rstrip(".")
    except ValueError:  # e.g. a malformed IPv6 literal or port
        return False
    return parts.scheme.lower() in ("http", "https") and host in _CYCLONEDX_HOSTS


def bom_statement(bom: Mapping[str, Any]) -> Statement:
    """The statement attesting ``bom``: one subject per model file the BOM lists."""
    from mbom.bom.subjects import model_files

    subjects = tuple(
        Subject(name=item.path, digest={"sha256": item.digests["sha256"]})
        for item in model_files(bom)
    )
    return Statement(subjects=subjects, predicate_type=BOM_PREDICATE_TYPE, predicate=bom)


def parse_statement(payload: bytes) -> Statement:
    """Read a statement from DSSE payload bytes, or raise :class:`MalformedFileError`."""
    from mbom.load import load_json

    document = load_json(payload, "in-toto statement (the DSSE payload)")
    if not isinstance(document, dict):
        raise MalformedFileError("statement is not a JSON object")
    if document.get("_type") != STATEMENT_TYPE:
        raise MalformedFileError(
            f"statement _type is {document.get('_type')!r}, expected {STATEMENT_TYPE!r}"
        )
    predicate_type = document.get("predicateType")
    if not isinstance(predicate_type, str) or not predicate_type:
        raise MalformedFileError("statement has no predicateType")
    predicate = document.get("predicate", {})
    if not isinstance(predicate, dict):
        raise MalformedFileError("statement predicate is not a JSON object")
    return Statement(
        subjects=_parse_subjects(document.get("subject")),
        predicate_type=predicate_type,
        predicate=predicate,
    )


def _parse_subjects(raw: Any) -> tuple[Subject, ...]:
    if not isinstance(raw, list) or not raw:
        raise MalformedFileError("statement has no subjects")
    subjects = []
    for item in raw:
        digest = item.get("digest") if isinstance(item, dict) else None
        if not isinstance(digest, dict) or not digest:
            raise MalformedFileError(f"statement subject {item!r} has no digest")
        clean = {str(k): str(v).lower() for k, v in digest.items()}
        if "sha256" in clean and not _HEX_SHA256.fullmatch(clean["sha256"]):
            raise MalformedFileError(f"statement subject {item.get('name')!r}: bad sha256")
        subjects.append(Subject(name=str(item.get("name", "")), digest=clean))
    return tuple(subjects)
