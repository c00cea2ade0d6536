"""Lineage: every parent model the BOM names, resolved and, given its bundle, verified.

Usage::

    from mbom.verify.lineage import ParentBundles, check_lineage

    parents = ParentBundles.load(["base.cdx.json.sigstore.json"])   # --parent B ...
    checks = check_lineage(bom, parents, trust)

A parent recorded by ``mbom generate --parent`` is an ancestor with
``mbom:parent:serialNumber``. Its bundle, when supplied, must verify with the same trust as
the model's, carry a BOM with that serial number, and describe a model with the recorded
Merkle root; then its own parents are checked the same way, to :data:`MAX_DEPTH` levels, and
a cycle (a BOM that is its own ancestor) fails. Base models only named by a model card
(Hugging Face ids) cannot be verified: they are listed, and policy can restrict them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mbom.errors import MalformedFileError, MbomError
from mbom.verify.bom_checks import MERKLE_PROPERTY, properties
from mbom.verify.checks import PASS, Check, fail, skipped
from mbom.verify.trust import Trust

MAX_DEPTH = 8
SERIAL_PROPERTY = "mbom:parent:serialNumber"


@dataclass(frozen=True, slots=True)
class ParentCheck(Check):
    """A passing ``lineage`` check that also says which recorded parent it verified.

    ``parent`` is :func:`parent_identity` of that parent: policy matches parents by it, never
    by name (two parents may share one).
    """

    parent: tuple[str, str] = ("", "")


def parent_identity(props: Mapping[str, str]) -> tuple[str, str] | None:
    """(serial number, recorded model Merkle root) of a recorded parent, the pair a verified
    bundle must match; None when either is missing (nothing to match by digest)."""
    serial, root = props.get(SERIAL_PROPERTY), props.get(MERKLE_PROPERTY)
    return (serial, root) if serial and root else None


@dataclass(frozen=True, slots=True)
class ParentBundles:
    """Supplied parent bundles by the serial number of the BOM they carry (read, unverified)."""

    by_serial: Mapping[str, tuple[str, dict[str, Any]]]
    #: (path, reason) of supplied parent bundles whose content is malformed: failed checks.
    malformed: tuple[tuple[str, str], ...] = ()

    @classmethod
    def load(cls, paths: Sequence[str]) -> ParentBundles:
        from mbom.attest.bundles import read_bundle
        from mbom.bom.parents import load_bom_or_bundle
        from mbom.errors import MalformedFileError

        found: dict[str, tuple[str, dict[str, Any]]] = {}
        malformed: list[tuple[str, str]] = []
        for path in paths:
            try:  # the content is the producer's (or an attacker's): a FAIL, not exit 2
                document = read_bundle(path)
                bom, _ = load_bom_or_bundle(path)
            except MalformedFileError as exc:
                malformed.append((path, str(exc)))
                continue
            found[str(bom.get("serialNumber"))] = (path, document)
        return cls(found, tuple(malformed))


def ancestors(bom: Mapping[str, Any], *, strict: bool = False) -> list[Mapping[str, Any]]:
    """The model's ``pedigree.ancestors``. Lenient by default (what cannot be read is not
    walked); ``strict`` (for policy rules) raises :class:`MalformedFileError` when the BOM has
    no model component or the pedigree is not of the right shape."""
    from mbom.bom.subjects import model_component

    try:
        pedigree = model_component(bom).get("pedigree")
    except MbomError:
        if strict:
            raise
        return []
    if pedigree is None:
        return []
    found = pedigree.get("ancestors") if isinstance(pedigree, Mapping) else None
    if isinstance(found, list) and all(isinstance(a, Mapping) for a in found):
        return list(found)
    if strict and (not isinstance(pedigree, Mapping) or found is not None):
        raise MalformedFileError("the model's pedigree.ancestors is not a list of objects")
    return [a for a in found if isinstance(a, Mapping)] if isinstance(found, list) else []


def check_lineage(bom: Mapping[str, Any], parents: ParentBundles, trust: Trust) -> list[Check]:
    """Checks for every ancestor; supplied parent bundles nothing refers to are flagged."""
    used: set[str] = set()
    checks = _walk(bom, parents, trust, depth=1, trail=(str(bom.get("serialNumber")),), used=used)
    checks += [
        fail("lineage", f"parent bundle {reason}", path=path) for path, reason in parents.malformed
    ]
    for serial, (path, _) in sorted(parents.by_serial.items()):
        if serial not in used:
            checks.append(
                fail(
                    "lineage",
                    f"parent bundle {path}: no ancestor of the model has serial number {serial}",
                    path=path,
                )
            )
    if not checks:
        checks.append(skipped("lineage", "the BOM names no parent models"))
    return checks


def _walk(
    bom: Mapping[str, Any],
    parents: ParentBundles,
    trust: Trust,
    *,
    depth: int,
    trail: tuple[str, ...],
    used: set[str],
) -> list[Check]:
    checks: list[Check] = []
    for ancestor in ancestors(bom):
        props = properties(ancestor)
        name = str(ancestor.get("name", "?"))
        serial = props.get(SERIAL_PROPERTY)
        if serial is None:
            source = props.get("mbom:lineage:source", "named")
            checks.append(
                skipped("lineage", f"base model {name}: {source}, no BOM to verify", path=name)
            )
            continue
        if serial in trail:
            checks.append(
                fail("lineage", f"parent {name}: lineage cycle through {serial}", path=name)
            )
            continue
        if depth > MAX_DEPTH:
            checks.append(
                fail("lineage", f"parent {name}: lineage deeper than {MAX_DEPTH}", path=name)
            )
            continue
        supplied = parents.by_serial.get(serial)
        if supplied is None:
            checks.append(
                skipped(
                    "lineage",
                    f"parent {name} ({serial}): no bundle supplied (--parent), not verified",
                    path=name,
                )
            )
            continue
        used.add(serial)
        check, parent_bom = _verify_parent(name, serial, props, supplied, trust)
        checks.append(check)
        if parent_bom is not None:
            checks += _walk(
                parent_bom, parents, trust, depth=depth + 1, trail=(*trail, serial), used=used
            )
    return checks


def _verify_parent(
    name: str,
    serial: str,
    props: Mapping[str, str],
    supplied: tuple[str, dict[str, Any]],
    trust: Trust,
) -> tuple[Check, Mapping[str, Any] | None]:
    from mbom.verify.signature import check_signature

    path, document = supplied
    return judge_parent(name, serial, props, path, check_signature(document, trust, bundle=path))


def judge_parent(
    name: str,
    serial: str | None,
    props: Mapping[str, str],
    path: str,
    outcome: Any,
    *,
    role: str = "parent",
) -> tuple[Check, Mapping[str, Any] | None]:
    """One ``lineage`` check for a parent bundle from its signature ``outcome``
    (:func:`mbom.verify.signature.check_signature`), and its signed BOM when it passes.

    The bundle must verify, carry an MBOM statement whose subjects are the BOM's model files,
    and, when the child recorded them (``serial``, ``props``), the same serial number and
    model Merkle root. ``role`` starts each message ("parent", or "model" for a BOM given
    directly).
    """
    from mbom.bom.subjects import model_component, model_files
    from mbom.verify.bom_checks import subjects_agree

    failed = [c for c in outcome.checks if c.failed]
    if failed:
        first = failed[0]
        return (
            fail(
                "lineage",
                f"{role} {name}: bundle {path} fails {first.id}: {first.message}",
                path=name,
                bundle=path,
                evaluated=first.evaluated,
            ),
            None,
        )
    statement = outcome.verified.statement
    if statement is None or not statement.is_bom:
        return fail(
            "lineage", f"{role} {name}: {path} is not an MBOM attestation", path=name, bundle=path
        ), None
    parent_bom = statement.predicate
    try:
        agreement = subjects_agree(statement, model_files(parent_bom), bundle=path)
    except MbomError as exc:
        agreement = fail("bom-subjects", f"BOM model files unreadable: {exc}", bundle=path)
    if agreement.failed:
        return fail(
            "lineage",
            f"{role} {name}: bundle {path} fails {agreement.id}: {agreement.message}",
            path=name,
            expected=agreement.expected,
            actual=agreement.actual,
            bundle=path,
        ), None
    if serial is not None and parent_bom.get("serialNumber") != serial:
        return fail(
            "lineage",
            f"{role} {name}: signed BOM has another serial number",
            path=name,
            expected=serial,
            actual=str(parent_bom.get("serialNumber")),
            bundle=path,
        ), None
    recorded = props.get(MERKLE_PROPERTY)
    try:
        actual = properties(model_component(parent_bom)).get(MERKLE_PROPERTY)
    except MbomError:
        actual = None
    if recorded and actual != recorded:
        return fail(
            "lineage",
            f"{role} {name}: model Merkle root differs from the recorded one",
            path=name,
            expected=recorded,
            actual=actual,
            bundle=path,
        ), None
    who = f"{role} {name} ({serial})" if serial else f"{role} {name}"
    identity = (serial or "", recorded or "")
    verified = ParentCheck(
        "lineage", PASS, f"{who} verified", path=name, bundle=path, parent=identity
    )
    return verified, parent_bom
