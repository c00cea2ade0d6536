"""Policy rules, each a function from what was verified to one ``policy:<rule>`` check.

Usage::

    from mbom.verify.rules import Evidence, evaluate_rules

    checks = evaluate_rules(policy, Evidence(bom=bom, attestations=..., signers=...))

Rules read the signed BOM (after its files were bound to disk, so what it says about them is
about these bytes): licence allow-list, allowed base models and dataset digests, pickle-bearing
or flagged checkpoints, required model-card fields; and, from
:mod:`mbom.verify.provenance_rules`, BOM age, number of distinct signers, verified parents. A
rule with nothing to judge (no licence, base model, dataset or parent recorded) fails unless
the policy says ``allowMissing: true``; a BOM field of the wrong shape fails the rule. In
``mode: warn`` a broken rule is a warning (docs/policy.md).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mbom.capture.checkpoints.safety import RecordedSafety
from mbom.errors import MalformedFileError, MbomError
from mbom.verify.bom_checks import MERKLE_PROPERTY, properties
from mbom.verify.checks import Check, fail, nothing_to_check, passed
from mbom.verify.policy import WARN_MODE, Policy
from mbom.verify.provenance_rules import max_age, min_signers, verified_parents


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the rules judge: the signed BOM and what the signature layer proved."""

    bom: Mapping[str, Any] | None
    #: {"bundle", "predicateType", "verified", "coversModel"} per bundle
    attestations: Sequence[Mapping[str, Any]] = ()
    signers: Sequence[Mapping[str, str]] = ()  # {"kind", "keyHint" | "identity"..., "bundle"}
    lineage: Sequence[Check] = ()
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    #: predicate types the policy lets count although they list only part of the model
    partial: tuple[str, ...] = ()

    def counted(self) -> list[Mapping[str, Any]]:
        """Attestations that count for the policy: verified, and covering the whole model
        unless the policy names their predicate type in ``partialAttestations``."""
        return [
            a
            for a in self.attestations
            if a.get("verified")
            and (
                a.get("coversModel")
                or any(same_predicate(p, a["predicateType"]) for p in self.partial)
            )
        ]


def same_predicate(wanted: str, actual: str) -> bool:
    """A policy's predicate type matches a bundle's (every CycloneDX spelling is one)."""
    from mbom.attest.statement import is_bom_predicate_type

    return wanted == actual or (is_bom_predicate_type(wanted) and is_bom_predicate_type(actual))


def evaluate_rules(policy: Policy, evidence: Evidence) -> list[Check]:
    """One check per required attestation and per rule the policy sets."""
    checks = []
    evidence = replace(evidence, partial=policy.partial_attestations)
    verified = [a["predicateType"] for a in evidence.counted()]
    for wanted in policy.required_attestations:
        found = any(same_predicate(wanted, t) for t in verified)
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
        try:
            checks.append(rule(setting, evidence))
        except MbomError as exc:  # a signed BOM of the wrong shape: the rule fails on it
            checks.append(fail(f"policy:{name}", f"rule {name}: {exc}"))
    if policy.mode == WARN_MODE:
        checks = [check.softened() for check in checks]
    return checks


def _model(evidence: Evidence) -> Mapping[str, Any]:
    from mbom.bom.subjects import model_component

    return model_component(evidence.bom or {})


def _licenses(setting: Mapping[str, Any], evidence: Evidence) -> Check:
    allowed = {a.lower() for a in setting["allow"]}
    expected = ", ".join(setting["allow"])
    found = []
    for item in _objects(_model(evidence), "licenses", "the model's licenses"):
        licence = item.get("license")
        value = (
            (licence.get("id") or licence.get("name"))
            if isinstance(licence, Mapping)
            else item.get("expression")
        )
        if not isinstance(value, str) or not value.strip():
            return fail(
                "policy:licenses",
                "a licence entry of the model names no licence (no id, name or expression)",
                expected=expected,
            )
        found.append(value)
    if not found:
        return nothing_to_check(
            "policy:licenses", setting, "the model declares no licence", expected=expected
        )
    bad = [f for f in found if f.lower() not in allowed]
    if bad:
        return fail(
            "policy:licenses",
            f"licence {bad[0]} is not allowed",
            expected=expected,
            actual=bad[0],
        )
    return passed("policy:licenses", f"licence {', '.join(found)} is allowed")


def _base_models(setting: Mapping[str, Any], evidence: Evidence) -> Check:
    from mbom.verify.lineage import SERIAL_PROPERTY, ancestors

    patterns = setting["allow"]
    recorded = ancestors(evidence.bom or {}, strict=True)
    if not recorded:
        return nothing_to_check(
            "policy:baseModels",
            setting,
            "the BOM records no base model to check against the allow-list",
            expected=", ".join(patterns),
        )
    for ancestor in recorded:
        names = [
            value
            for value in (
                ancestor.get("name"),
                ancestor.get("purl"),
                properties(ancestor).get(SERIAL_PROPERTY),
            )
            if isinstance(value, str) and value
        ]
        if not names:
            return fail(
                "policy:baseModels",
                "a base model of the BOM records no name, purl or serial number to check",
                expected=", ".join(patterns),
            )
        if not any(fnmatch.fnmatchcase(n, p) for n in names for p in patterns):
            return fail(
                "policy:baseModels",
                f"base model {names[0]} is not allowed",
                actual=names[0],
                expected=", ".join(patterns),
            )
    return passed("policy:baseModels", f"every base model is allowed ({len(recorded)})")


def _datasets(setting: Mapping[str, Any], evidence: Evidence) -> Check:
    from mbom.bom.datasets import data_components

    allowed = {d.lower().removeprefix("sha256:") for d in setting.get("allowDigests", ())}
    restrict = "allowDigests" in setting
    _objects(evidence.bom or {}, "components", "the BOM's components")  # shape, or fail
    datasets = data_components(evidence.bom or {})
    if not datasets:
        what = "against the allow-list" if restrict else "for digests"
        return nothing_to_check(
            "policy:datasets", setting, f"the BOM records no dataset to check {what}"
        )
    for component in datasets:
        props = properties(component)
        name = str(component.get("name") or component.get("bom-ref") or "(unnamed)")
        if props.get("mbom:hashed") != "true":
            if not setting.get("allowUnhashed", False):
                return fail(
                    "policy:datasets", f"dataset {name} is recorded without digests", path=name
                )
            continue
        digest = props.get(MERKLE_PROPERTY) or next(
            (
                h.get("content")
                for h in _objects(component, "hashes", f"dataset {name}'s hashes")
                if h.get("alg") == "SHA-256"
            ),
            None,
        )
        if not isinstance(digest, str) or not digest:
            return fail(
                "policy:datasets",
                f"dataset {name} is marked hashed but records no digest",
                path=name,
            )
        if restrict and digest.lower() not in allowed:
            return fail(
                "policy:datasets",
                f"dataset {name} digest {digest} is not allowed",
                path=name,
                actual=digest,
            )
    return passed("policy:datasets", f"every dataset is allowed ({len(datasets)})")


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
    card = _model(evidence).get("modelCard")
    if card is not None and not isinstance(card, Mapping):
        raise MalformedFileError("the model's modelCard is not an object")
    missing = []
    for dotted in setting["required"]:
        value: Any = card or {}
        for part in dotted.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if value is None or (isinstance(value, str | list | dict) and not _has_content(value)):
            missing.append(dotted)
    if missing:
        return fail(
            "policy:modelCard",
            f"model card lacks {', '.join(missing)}",
            expected=", ".join(missing),
        )
    return passed("policy:modelCard", "model card has every required field")


def _has_content(value: str | list[Any] | dict[str, Any]) -> bool:
    return bool(value.strip()) if isinstance(value, str) else bool(value)


def _objects(container: Mapping[str, Any], key: str, what: str) -> list[Mapping[str, Any]]:
    """``container[key]`` as a list of objects; [] when absent, an error for any other type.

    A signed BOM of the wrong shape is not "nothing recorded": the rule fails on it.
    """
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise MalformedFileError(f"{what} is not a list of objects")
    return value


RULES: dict[str, Callable[[Any, Evidence], Check]] = {
    "licenses": _licenses,
    "baseModels": _base_models,
    "datasets": _datasets,
    "forbidPickle": _forbid_pickle,
    "forbidFlaggedCheckpoints": _forbid_flagged,
    "modelCard": _model_card,
    "maxBomAge": max_age,
    "minSigners": min_signers,
    "requireVerifiedParents": verified_parents,
}
