"""Policy rules, each a function from what was verified to one ``policy:<rule>`` check.

Usage::

    from mbom.verify.rules import Evidence, evaluate_rules

    checks = evaluate_rules(policy, Evidence(bom=bom, attestations=..., signers=...))

Rules read the signed BOM (after its files were bound to disk, so what it says about them is
about these bytes): licence allow-list, allowed base models and dataset digests, pickle-bearing
or flagged checkpoints, required model-card fields, BOM age, number of distinct signers,
verified parents. In ``mode: warn`` a broken rule is a warning (docs/policy.md).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mbom.capture.checkpoints.safety import RecordedSafety
from mbom.verify.bom_checks import MERKLE_PROPERTY, properties
from mbom.verify.checks import Check, fail, passed
from mbom.verify.policy import WARN_MODE, Policy, parse_duration


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the rules judge: the signed BOM and what the signature layer proved."""

    bom: Mapping[str, Any] | None
    attestations: Sequence[Mapping[str, Any]] = ()  # {"predicateType", "verified"}
    signers: Sequence[Mapping[str, str]] = ()
    lineage: Sequence[Check] = ()
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))


def evaluate_rules(policy: Policy, evidence: Evidence) -> list[Check]:
    """One check per required attestation and per rule the policy sets."""
    from mbom.attest.statement import is_bom_predicate_type

    checks = []
    verified = [a["predicateType"] for a in evidence.attestations if a.get("verified")]
    for wanted in policy.required_attestations:
        found = any(
            t == wanted or (is_bom_predicate_type(wanted) and is_bom_predicate_type(t))
            for t in verified
        )
        checks.append(
            passed("policy:required-attestation", f"a verified {wanted} attestation is present")
            if found
            else fail(
                "policy:required-attestation", f"no verified {wanted} attestation", expected=wanted
            )
        )
    for name, setting in policy.rules.items():
        if setting is False:
            continue
        rule = RULES[name]
        if evidence.bom is None and name not in ("minSigners",):
            checks.append(
                fail(f"policy:{name}", f"rule {name} needs an MBOM attestation", evaluated=False)
            )
            continue
        checks.append(rule(setting, evidence))
    if policy.mode == WARN_MODE:
        checks = [check.softened() for check in checks]
    return checks


def _model(evidence: Evidence) -> Mapping[str, Any]:
    from mbom.bom.subjects import model_component

    return model_component(evidence.bom or {})


def _licenses(setting: Mapping[str, Any], evidence: Evidence) -> Check:
    allowed = {a.lower() for a in setting["allow"]}
    found = []
    for item in _model(evidence).get("licenses") or ():
        licence = item.get("license") or {}
        found.append(str(licence.get("id") or licence.get("name") or item.get("expression", "")))
    if not found:
        return fail(
            "policy:licenses", "the model declares no licence", expected=", ".join(setting["allow"])
        )
    bad = [f for f in found if f.lower() not in allowed]
    if bad:
        return fail(
            "policy:licenses",
            f"licence {bad[0]} is not allowed",
            expected=", ".join(setting["allow"]),
            actual=bad[0],
        )
    return passed("policy:licenses", f"licence {', '.join(found)} is allowed")


def _base_models(setting: Mapping[str, Any], evidence: Evidence) -> Check:
    from mbom.verify.lineage import ancestors

    patterns = setting["allow"]
    for ancestor in ancestors(evidence.bom or {}):
        names = [
            str(value)
            for value in (
                ancestor.get("name"),
                ancestor.get("purl"),
                properties(ancestor).get("mbom:parent:serialNumber"),
            )
            if value
        ]
        if not any(fnmatch.fnmatchcase(n, p) for n in names for p in patterns):
            return fail(
                "policy:baseModels",
                f"base model {names[0]} is not allowed",
                actual=names[0],
                expected=", ".join(patterns),
            )
    return passed("policy:baseModels", "every base model is allowed")


def _datasets(setting: Mapping[str, Any], evidence: Evidence) -> Check:
    allowed = {d.lower().removeprefix("sha256:") for d in setting.get("allowDigests", ())}
    restrict = "allowDigests" in setting
    for component in (evidence.bom or {}).get("components") or ():
        if not str(component.get("bom-ref", "")).startswith("dataset:"):
            continue
        props = properties(component)
        name = component.get("name")
        if props.get("mbom:hashed") != "true":
            if not setting.get("allowUnhashed", False):
                return fail("policy:datasets", f"dataset {name} is recorded without digests")
            continue
        digest = props.get(MERKLE_PROPERTY) or next(
            (h.get("content") for h in component.get("hashes") or () if h.get("alg") == "SHA-256"),
            None,
        )
        if restrict and (digest or "").lower() not in allowed:
            return fail(
                "policy:datasets",
                f"dataset {name} digest {digest} is not allowed",
                path=name,
                actual=digest,
            )
    return passed("policy:datasets", "every dataset is allowed")


def _recorded(evidence: Evidence) -> tuple[RecordedSafety, ...]:
    """Each model file as mbom.capture.checkpoints.safety judges it; none without a model."""
    from mbom.bom.subjects import recorded_file_safety
    from mbom.errors import MalformedFileError

    try:
        return recorded_file_safety(evidence.bom or {})
    except MalformedFileError:
        return ()


def _forbid_pickle(_setting: Any, evidence: Evidence) -> Check:
    """No file whose format can run code when loaded (a clean torch state dict included)."""
    files = _recorded(evidence)
    if not files:
        return fail("policy:forbidPickle", "the BOM lists no model files to judge")
    bad = [f for f in files if f.executes is not False]
    if bad:
        first = bad[0]
        why = "can run code when loaded" if first.executes else f"is unknown: {first.reason}"
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        return fail(
            "policy:forbidPickle",
            f"{first.path} {why} ({first.format or 'no format recorded'}){more}",
            path=first.path,
            actual=first.format,
        )
    return passed("policy:forbidPickle", f"none of {len(files)} files can run code when loaded")


def _forbid_flagged(_setting: Any, evidence: Evidence) -> Check:
    """No file that the scan flagged, or that the BOM does not prove safe to load."""
    files = _recorded(evidence)
    if not files:
        return fail("policy:forbidFlaggedCheckpoints", "the BOM lists no model files to judge")
    bad = [f for f in files if f.flagged]
    if bad:
        first = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        return fail(
            "policy:forbidFlaggedCheckpoints",
            f"{first.path} is flagged: {first.describe()}{more}",
            path=first.path,
            actual=", ".join(first.callables) or first.reason,
        )
    return passed("policy:forbidFlaggedCheckpoints", f"none of {len(files)} files is flagged")


def _model_card(setting: Mapping[str, Any], evidence: Evidence) -> Check:
    card = _model(evidence).get("modelCard") or {}
    missing = []
    for dotted in setting["required"]:
        value: Any = card
        for part in dotted.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if value in (None, "", [], {}):
            missing.append(dotted)
    if missing:
        return fail(
            "policy:modelCard",
            f"model card lacks {', '.join(missing)}",
            expected=", ".join(missing),
        )
    return passed("policy:modelCard", "model card has every required field")


def _max_age(setting: str, evidence: Evidence) -> Check:
    stamp = ((evidence.bom or {}).get("metadata") or {}).get("timestamp")
    try:
        made = dt.datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return fail("policy:maxBomAge", f"BOM timestamp {stamp!r} is missing or unreadable")
    if made.tzinfo is None:
        made = made.replace(tzinfo=dt.timezone.utc)
    age = (evidence.now - made).total_seconds()
    if age > parse_duration(setting):
        return fail(
            "policy:maxBomAge",
            f"BOM made {stamp} is older than {setting}",
            expected=setting,
            actual=str(stamp),
        )
    return passed("policy:maxBomAge", f"BOM made {stamp}, within {setting}")


def _min_signers(setting: int, evidence: Evidence) -> Check:
    distinct = {tuple(sorted(s.items())) for s in evidence.signers}
    if len(distinct) < setting:
        return fail(
            "policy:minSigners",
            f"{len(distinct)} distinct signer(s), {setting} required",
            expected=str(setting),
            actual=str(len(distinct)),
        )
    return passed("policy:minSigners", f"{len(distinct)} distinct signers")


def _verified_parents(_setting: Any, evidence: Evidence) -> Check:
    from mbom.verify.lineage import ancestors

    verified = {c.path for c in evidence.lineage if c.status == "pass"}
    for ancestor in ancestors(evidence.bom or {}):
        name = str(ancestor.get("name"))
        if "mbom:parent:serialNumber" in properties(ancestor) and name not in verified:
            return fail(
                "policy:requireVerifiedParents", f"parent {name} is not verified", path=name
            )
    return passed("policy:requireVerifiedParents", "every parent BOM is verified")


RULES: dict[str, Callable[[Any, Evidence], Check]] = {
    "licenses": _licenses,
    "baseModels": _base_models,
    "datasets": _datasets,
    "forbidPickle": _forbid_pickle,
    "forbidFlaggedCheckpoints": _forbid_flagged,
    "modelCard": _model_card,
    "maxBomAge": _max_age,
    "minSigners": _min_signers,
    "requireVerifiedParents": _verified_parents,
}
