"""requiredAttestations and minSigners fail on every input that should fail them (issue #10,
items 7 and 14), judged in-process on the attestation and signer records that
``mbom.verify.pipeline`` hands the rules (one per bundle; a signer names its bundle).

Only a verified attestation counts, and only when it covers the whole model or the policy
names its predicate type in ``partialAttestations``. A signer counts once however many bundles
it signed, and only for a counted bundle. (tests/verify/test_binding.py drives the same rules
with real signatures through ``mbom verify``.)
"""

from __future__ import annotations

from typing import Any

import pytest

from mbom.verify.checks import FAIL, PASS, WARN, Check
from mbom.verify.policy import ALIASES, Policy
from mbom.verify.rules import Evidence, evaluate_rules

MBOM, SLSA, OMS = ALIASES["mbom"], ALIASES["slsa-provenance"], ALIASES["oms"]


def attestation(
    bundle: str, predicate: str = MBOM, *, verified: bool = True, whole: bool = True
) -> dict[str, Any]:
    return {
        "bundle": bundle,
        "predicateType": predicate,
        "verified": verified,
        "coversModel": whole,
    }


def key(bundle: str, hint: str) -> dict[str, str]:
    return {"kind": "key", "keyHint": hint, "bundle": bundle}


def cert(bundle: str, identity: str, issuer: str) -> dict[str, str]:
    return {"kind": "certificate", "identity": identity, "issuer": issuer, "bundle": bundle}


def checks(policy: Policy, bom: Any = None, **evidence: Any) -> list[Check]:
    return evaluate_rules(policy, Evidence(bom=bom, **evidence))


# --- requiredAttestations --------------------------------------------------------------------

REQUIRED_FAILS: dict[str, tuple[str, list[dict[str, Any]], tuple[str, ...]]] = {
    # case: (required type, attestations, partialAttestations)
    "no attestation at all": (SLSA, [], ()),
    "only another type": (SLSA, [attestation("a", MBOM)], ()),
    "present but not verified": (SLSA, [attestation("a", SLSA, verified=False)], ()),
    "present but partial": (SLSA, [attestation("a", SLSA, whole=False)], ()),
    "partial, another type allowed partial": (SLSA, [attestation("a", SLSA, whole=False)], (OMS,)),
    "partial allowed but not verified": (
        SLSA, [attestation("a", SLSA, verified=False, whole=False)], (SLSA,)
    ),
    "a CycloneDX BOM is not SLSA": (SLSA, [attestation("a", "https://cyclonedx.org/bom/v1.6")], ()),
    "SLSA is not a CycloneDX BOM": (MBOM, [attestation("a", SLSA)], (SLSA,)),
    "partial BOM, SLSA allowed partial": (MBOM, [attestation("a", MBOM, whole=False)], (SLSA,)),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(REQUIRED_FAILS))
def test_required_attestation_fails(case: str) -> None:
    wanted, attestations, partial = REQUIRED_FAILS[case]
    policy = Policy("p.yaml", required_attestations=(wanted,), partial_attestations=partial)
    assert checks(policy, attestations=attestations) == [
        Check(
            "policy:required-attestation",
            FAIL,
            f"no verified {wanted} attestation",
            expected=wanted,
        )
    ]


REQUIRED_PASSES: dict[str, tuple[str, list[dict[str, Any]], tuple[str, ...]]] = {
    "the same type": (SLSA, [attestation("a", MBOM), attestation("b", SLSA)], ()),
    "another CycloneDX spelling": (MBOM, [attestation("a", "https://cyclonedx.org/bom/v1.6")], ()),
    "partial, allowed by the policy": (SLSA, [attestation("a", SLSA, whole=False)], (SLSA,)),
    "partial BOM, allowed under another spelling": (
        MBOM, [attestation("a", MBOM, whole=False)], ("http://cyclonedx.org/bom/",)
    ),
    "one of two verified": (
        SLSA, [attestation("a", SLSA, verified=False), attestation("b", SLSA)], ()
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(REQUIRED_PASSES))
def test_required_attestation_passes(case: str) -> None:
    wanted, attestations, partial = REQUIRED_PASSES[case]
    policy = Policy("p.yaml", required_attestations=(wanted,), partial_attestations=partial)
    assert checks(policy, attestations=attestations) == [
        Check("policy:required-attestation", PASS, f"a verified {wanted} attestation is present")
    ]


def test_every_required_attestation_is_one_check() -> None:
    policy = Policy("p.yaml", required_attestations=(MBOM, SLSA))
    found = checks(policy, attestations=[attestation("a", MBOM)])
    assert [(c.id, c.status, c.expected) for c in found] == [
        ("policy:required-attestation", PASS, None),
        ("policy:required-attestation", FAIL, SLSA),
    ]


# --- minSigners ------------------------------------------------------------------------------

SIGNER_FAILS: dict[str, tuple[list[dict[str, Any]], list[dict[str, str]], tuple[str, ...]]] = {
    # case: (attestations, signers, partialAttestations); minSigners: 2 and 1 counted signer
    "one key": ([attestation("a")], [key("a", "k1")], ()),
    "one key, two bundles": (
        [attestation("a"), attestation("b", SLSA)], [key("a", "k1"), key("b", "k1")], ()
    ),
    "one identity, two bundles": (
        [attestation("a"), attestation("b")],
        [cert("a", "me@x", "https://issuer"), cert("b", "me@x", "https://issuer")],
        (),
    ),
    "second bundle not verified": (
        [attestation("a"), attestation("b", verified=False)], [key("a", "k1"), key("b", "k2")], ()
    ),
    "second bundle partial": (
        [attestation("a"), attestation("b", SLSA, whole=False)],
        [key("a", "k1"), key("b", "k2")],
        (),
    ),
    "second bundle partial, another type allowed partial": (
        [attestation("a"), attestation("b", SLSA, whole=False)],
        [key("a", "k1"), key("b", "k2")],
        (OMS,),
    ),
    "second signer of no attestation": ([attestation("a")], [key("a", "k1"), key("c", "k2")], ()),
    "second signer names no bundle": (
        [attestation("a")], [key("a", "k1"), {"kind": "key", "keyHint": "k2"}], ()
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(SIGNER_FAILS))
def test_min_signers_fails(case: str) -> None:
    attestations, signers, partial = SIGNER_FAILS[case]
    policy = Policy("p.yaml", rules={"minSigners": 2}, partial_attestations=partial)
    assert checks(policy, attestations=attestations, signers=signers) == [
        Check(
            "policy:minSigners",
            FAIL,
            "1 distinct signer(s) of verified attestations covering the whole model, 2 required",
            expected="2",
            actual="1",
        )
    ]


def test_min_signers_fails_without_signers() -> None:
    (check,) = checks(Policy("p.yaml", rules={"minSigners": 1}), attestations=[attestation("a")])
    assert (check.status, check.expected, check.actual) == (FAIL, "1", "0")


SIGNER_PASSES: dict[str, tuple[list[dict[str, Any]], list[dict[str, str]], tuple[str, ...]]] = {
    "two keys": ([attestation("a"), attestation("b")], [key("a", "k1"), key("b", "k2")], ()),
    "two keys on one bundle": ([attestation("a")], [key("a", "k1"), key("a", "k2")], ()),
    "same identity, two issuers": (
        [attestation("a"), attestation("b")],
        [cert("a", "me@x", "https://one"), cert("b", "me@x", "https://two")],
        (),
    ),
    "partial bundle, allowed by the policy": (
        [attestation("a"), attestation("b", SLSA, whole=False)],
        [key("a", "k1"), key("b", "k2")],
        (SLSA,),
    ),
}


@pytest.mark.parametrize("case", sorted(SIGNER_PASSES))
def test_min_signers_passes(case: str) -> None:
    attestations, signers, partial = SIGNER_PASSES[case]
    policy = Policy("p.yaml", rules={"minSigners": 2}, partial_attestations=partial)
    found = checks(policy, attestations=attestations, signers=signers)
    assert found == [Check("policy:minSigners", PASS, "2 distinct signers")]


def test_min_signers_needs_no_bom() -> None:
    """minSigners judges the signatures, not a BOM: an OMS-only model can be held to it."""
    policy = Policy("p.yaml", rules={"minSigners": 1})
    found = checks(policy, attestations=[attestation("a", OMS)], signers=[key("a", "k1")])
    assert found == [Check("policy:minSigners", PASS, "1 distinct signers")]


# --- evaluate_rules --------------------------------------------------------------------------


def test_a_rule_set_to_false_is_not_evaluated_and_the_next_one_is() -> None:
    policy = Policy("p.yaml", rules={"forbidPickle": False, "minSigners": 1, "licenses": False})
    found = checks(policy, attestations=[attestation("a")], signers=[key("a", "k1")])
    assert [(c.id, c.status) for c in found] == [("policy:minSigners", PASS)]


def test_a_rule_without_a_bom_cannot_be_evaluated_and_the_next_one_is() -> None:
    policy = Policy("p.yaml", rules={"forbidPickle": True, "modelCard": {"required": ["x"]}})
    assert checks(policy) == [
        Check(
            "policy:forbidPickle",
            FAIL,
            "rule forbidPickle needs an MBOM attestation",
            evaluated=False,
        ),
        Check(
            "policy:modelCard", FAIL, "rule modelCard needs an MBOM attestation", evaluated=False
        ),
    ]


def test_a_bom_of_the_wrong_shape_fails_the_rule_with_the_reason() -> None:
    bom = {"metadata": {"component": {"type": "machine-learning-model", "modelCard": []}}}
    policy = Policy("p.yaml", rules={"modelCard": {"required": ["x"]}})
    assert checks(policy, bom) == [
        Check("policy:modelCard", FAIL, "rule modelCard: the model's modelCard is not an object")
    ]


def test_warn_mode_softens_required_attestations_and_signers() -> None:
    policy = Policy(
        "p.yaml", mode="warn", required_attestations=(SLSA, MBOM), rules={"minSigners": 2}
    )
    found = checks(policy, attestations=[attestation("a")], signers=[key("a", "k1")])
    assert [(c.id, c.status) for c in found] == [
        ("policy:required-attestation", WARN),
        ("policy:required-attestation", PASS),
        ("policy:minSigners", WARN),
    ]
