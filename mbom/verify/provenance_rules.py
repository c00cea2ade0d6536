"""Policy rules on the BOM's provenance: its age, who signed it, whether its parents verified.

Usage::

    from mbom.verify.provenance_rules import max_age, min_signers, verified_parents

    check = min_signers(2, evidence)     # one ``policy:<rule>`` check (mbom.verify.rules)

They judge what the signature and lineage layers proved (``Evidence.signers``,
``Evidence.lineage``) and the BOM's timestamp; :mod:`mbom.verify.rules` holds the rules on what
the BOM records about the model, and the registry of both (docs/policy.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mbom.verify.bom_checks import properties
from mbom.verify.checks import PASS, Check, fail, nothing_to_check, passed
from mbom.verify.policy import parse_duration

if TYPE_CHECKING:
    from mbom.verify.rules import Evidence

CLOCK_SKEW_SECONDS = 300
"""How far in the future a BOM timestamp may lie (clocks differ) before ``maxBomAge`` fails."""


def max_age(setting: str, evidence: Evidence) -> Check:
    metadata = (evidence.bom or {}).get("metadata")
    stamp = metadata.get("timestamp") if isinstance(metadata, Mapping) else None
    if not isinstance(stamp, str) or not stamp:
        return fail("policy:maxBomAge", "the BOM records no timestamp (metadata.timestamp)")
    try:
        made = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        if made.tzinfo is None:
            made = made.replace(tzinfo=dt.timezone.utc)
        ahead = (made - evidence.now).total_seconds()
    except (ValueError, OverflowError):
        return fail("policy:maxBomAge", f"BOM timestamp {stamp!r} is unreadable", actual=stamp)
    if ahead > CLOCK_SKEW_SECONDS:
        return fail(
            "policy:maxBomAge",
            f"BOM timestamp {stamp} is {int(ahead)} s in the future (more than the "
            f"{CLOCK_SKEW_SECONDS} s allowed for clock skew)",
            expected=f"at most {CLOCK_SKEW_SECONDS} s after {evidence.now.isoformat()}",
            actual=stamp,
        )
    if -ahead > parse_duration(setting):
        return fail(
            "policy:maxBomAge",
            f"BOM made {stamp} is older than {setting}",
            expected=setting,
            actual=stamp,
        )
    return passed("policy:maxBomAge", f"BOM made {stamp}, within {setting}")


def min_signers(setting: int, evidence: Evidence) -> Check:
    """Distinct signers (a key, or a certificate identity and issuer: once, however many
    bundles it signed) of verified attestations that cover the whole model."""
    bundles = {a["bundle"] for a in evidence.counted()}
    distinct = {
        tuple(sorted((k, v) for k, v in s.items() if k != "bundle"))
        for s in evidence.signers
        if s.get("bundle") in bundles
    }
    if len(distinct) < setting:
        return fail(
            "policy:minSigners",
            f"{len(distinct)} distinct signer(s) of verified attestations covering the whole "
            f"model, {setting} required",
            expected=str(setting),
            actual=str(len(distinct)),
        )
    return passed("policy:minSigners", f"{len(distinct)} distinct signers")


def verified_parents(setting: Any, evidence: Evidence) -> Check:
    """Each parent BOM the model records must itself have been verified, matched by identity.

    A parent is identified by its BOM's serial number and the model Merkle root the child
    recorded for it, never by name: two parents may share a name, and each one counts.
    """
    from mbom.verify.lineage import SERIAL_PROPERTY, ParentCheck, ancestors, parent_identity

    parents = [
        ancestor
        for ancestor in ancestors(evidence.bom or {}, strict=True)
        if properties(ancestor).get("mbom:lineage:source") == "parent-bom"
        or SERIAL_PROPERTY in properties(ancestor)
    ]
    if not parents:
        return nothing_to_check(
            "policy:requireVerifiedParents", setting, "the BOM records no parent BOM to verify"
        )
    verified = {
        c.parent for c in evidence.lineage if isinstance(c, ParentCheck) and c.status == PASS
    }
    for ancestor in parents:
        name = str(ancestor.get("name") or "(unnamed)")
        identity = parent_identity(properties(ancestor))
        if identity is None:
            has_serial = SERIAL_PROPERTY in properties(ancestor)
            lacking = "a model Merkle root" if has_serial else "a serial number"
            return fail(
                "policy:requireVerifiedParents",
                f"parent {name} is recorded without {lacking}: no bundle can be matched to it",
                path=name,
            )
        if identity not in verified:
            return fail(
                "policy:requireVerifiedParents",
                f"parent {name} ({identity[0]}) is not verified",
                path=name,
                expected=identity[1],
            )
    return passed("policy:requireVerifiedParents", f"every parent BOM is verified ({len(parents)})")
