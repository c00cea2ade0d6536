"""Checks on the BOM inside an MBOM attestation: schema, agreement with subjects, Merkle root.

Usage::

    from mbom.verify.bom_checks import bom_agreement, bom_schema, bom_summary

    bom_schema(statement.predicate, bundle=name)         # CycloneDX schema, offline
    bom_agreement(statement, model, bundle=name)         # files, Merkle root, ignored paths

The subjects are what was signed for each file; the BOM is what the signer says about them.
They must agree (same names, same SHA-256), or a verifier reading one and a tool reading the
other would see different models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mbom.errors import MalformedFileError
from mbom.load import parse_json
from mbom.verify.binding import ModelOnDisk
from mbom.verify.checks import WARN, Check, fail, passed, skipped
from mbom.verify.files import under

IGNORED_PROPERTY = "mbom:model:ignored"
MERKLE_PROPERTY = "mbom:merkle-root:sha256"


def properties(component: Mapping[str, Any]) -> dict[str, str]:
    """A component's properties as a dict (first value wins)."""
    found: dict[str, str] = {}
    for item in component.get("properties") or ():
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            found.setdefault(item["name"], str(item.get("value", "")))
    return found


def recorded_ignored(bom: Mapping[str, Any]) -> tuple[str, ...]:
    """Paths the producer left out of the model (``mbom:model:ignored``), as recorded."""
    from mbom.bom.subjects import model_component

    try:
        raw = properties(model_component(bom)).get(IGNORED_PROPERTY)
        value = parse_json(raw) if raw else []
    except (MalformedFileError, ValueError):
        return ()
    return tuple(str(item) for item in value) if isinstance(value, list) else ()


def bom_summary(bom: Mapping[str, Any]) -> dict[str, Any]:
    """What the report says about the BOM: serial number, version, model name and version."""
    from mbom.bom.subjects import model_component

    metadata = bom.get("metadata") if isinstance(bom.get("metadata"), Mapping) else {}
    summary: dict[str, Any] = {
        "serialNumber": bom.get("serialNumber"),
        "version": bom.get("version"),
        "specVersion": bom.get("specVersion"),
        "timestamp": metadata.get("timestamp"),
    }
    try:
        model = model_component(bom)
        summary.update(name=model.get("name"), modelVersion=model.get("version"))
    except MalformedFileError:
        pass
    return summary


def bom_schema(bom: Mapping[str, Any], *, bundle: str) -> Check:
    """The predicate validates offline against the CycloneDX schema (and semantic checks)."""
    from mbom.bom.validate import validate_document

    result = validate_document(bom, bounded=True)  # parsed strictly (parse_statement)
    if result.errors:
        first = result.errors[0]
        more = f" (and {len(result.errors) - 1} more)" if len(result.errors) > 1 else ""
        where = f" at {first.pointer}" if getattr(first, "pointer", "") else ""
        return fail(
            "bom-schema", f"BOM is not valid CycloneDX: {first.message}{where}{more}", bundle=bundle
        )
    return passed("bom-schema", f"BOM validates (CycloneDX {result.spec_version})", bundle=bundle)


def subjects_agree(statement: Any, files: Sequence[Any], *, bundle: str) -> Check:
    """The statement's subjects are exactly the BOM's model ``files`` (names and SHA-256)."""
    signed = {s.name: s.digest.get("sha256") for s in statement.subjects}
    listed = {f.path: f.digests["sha256"] for f in files}
    if signed == listed:
        return passed("bom-subjects", f"BOM lists the {len(files)} signed files", bundle=bundle)
    names = sorted(n for n in signed.keys() | listed.keys() if signed.get(n) != listed.get(n))
    return fail(
        "bom-subjects",
        f"the BOM and the statement's subjects disagree about {len(names)} file(s): "
        + ", ".join(names[:5]),
        path=names[0],
        expected=listed.get(names[0]),
        actual=signed.get(names[0]),
        bundle=bundle,
    )


def bom_agreement(statement: Any, model: ModelOnDisk, *, bundle: str) -> list[Check]:
    """Subjects = the BOM's model files; recorded Merkle root = the one on disk; ignored paths."""
    from mbom.bom.subjects import model_component, model_files
    from mbom.hashing import merkle_root

    bom = statement.predicate
    try:
        files = model_files(bom)
        component = model_component(bom)
    except MalformedFileError as exc:
        return [fail("bom-subjects", f"BOM model files unreadable: {exc}", bundle=bundle)]
    checks: list[Check] = [subjects_agree(statement, files, bundle=bundle)]
    ignored = recorded_ignored(bom)
    recorded_root = properties(component).get(MERKLE_PROPERTY)
    if model.tree.is_directory and recorded_root:
        kept = [f for f in model.files if not under(f.path, ignored)]
        actual = merkle_root(kept)
        if actual == recorded_root:
            checks.append(passed("merkle-root", f"model Merkle root {actual}", bundle=bundle))
        else:
            checks.append(
                fail(
                    "merkle-root",
                    f"model Merkle root differs: expected {recorded_root}, actual {actual}",
                    expected=recorded_root,
                    actual=actual,
                    bundle=bundle,
                )
            )
    elif model.tree.is_directory:
        checks.append(skipped("merkle-root", "the BOM records no model Merkle root", bundle=bundle))
    checks += unverified_code(model, ignored, bundle=bundle)
    present = [f.path for f in model.files if under(f.path, ignored) and not _loadable(f)]
    if present:
        checks.append(
            Check(
                "ignored-files",
                WARN,
                f"{len(present)} file(s) not verified, left out when the BOM was made "
                f"({IGNORED_PROPERTY}): " + ", ".join(present[:5]),
                bundle=bundle,
            )
        )
    return checks


def _loadable(entry: Any) -> bool:
    from mbom.hashing import is_loadable

    return is_loadable(entry.path, entry.mode)


def unverified_code(model: ModelOnDisk, ignored: Sequence[str], *, bundle: str) -> list[Check]:
    """Files under a recorded ignore path that a loader could execute: never left unverified.

    mbom refuses to write such a BOM (a ``.mbomignore`` cannot hide code), so one found here
    was planted after signing.
    """
    return [
        fail(
            "unverified-code",
            f"model file {f.path}: under a path the BOM records as ignored ({IGNORED_PROPERTY}), "
            "but a loader could execute it (code, bytecode, native library or executable)",
            path=f.path,
            bundle=bundle,
        )
        for f in model.files
        if under(f.path, ignored) and _loadable(f)
    ]
