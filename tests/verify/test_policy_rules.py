"""Every policy rule of this module fails on every input that should fail it (issue #10, 7/14).

Rules judge a real BOM (the one ``mbom generate`` made for the signed fixture model), edited
the way each case says: a field absent, empty, of the wrong type, two parents sharing a name,
a timestamp in the future. An allow-list with nothing to check fails unless the policy says
``allowMissing: true``; a timestamp more than five minutes ahead fails ``maxBomAge``.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from mbom.verify.checks import FAIL, PASS, SKIP, Check, passed
from mbom.verify.lineage import ParentBundles, ParentCheck, check_lineage
from mbom.verify.policy import Policy
from mbom.verify.provenance_rules import CLOCK_SKEW_SECONDS
from mbom.verify.rules import Evidence, evaluate_rules
from mbom.verify.trust import load_trust
from tests.verify.conftest import Signed

Edit = Callable[[dict[str, Any]], None]
DIGEST = "ab" * 32
MERKLE = "mbom:merkle-root:sha256"


def model(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["metadata"]["component"]


def judge(rule: str, setting: Any, bom: dict[str, Any] | None, **evidence: Any) -> Check:
    checks = evaluate_rules(Policy("p.yaml", rules={rule: setting}), Evidence(bom=bom, **evidence))
    assert len(checks) == 1 and checks[0].id == f"policy:{rule}"
    return checks[0]


@pytest.fixture(scope="module")
def base_bom(signed: Signed) -> dict[str, Any]:
    return json.loads(signed.bom.read_text())


def edited(base: dict[str, Any], edit: Edit) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    edit(doc)
    return doc


def set_model(key: str, value: Any) -> Edit:
    return lambda doc: model(doc).__setitem__(key, value)


def drop_model(key: str) -> Edit:
    return lambda doc: model(doc).pop(key, None)


def no_model_component(doc: dict[str, Any]) -> None:
    model(doc)["type"] = "library"


# --- licenses --------------------------------------------------------------------------------

LICENCE_FAILS: dict[str, tuple[Edit, str]] = {
    "absent": (drop_model("licenses"), "declares no licence"),
    "empty list": (set_model("licenses", []), "declares no licence"),
    "null": (set_model("licenses", None), "declares no licence"),
    "a string": (set_model("licenses", "Apache-2.0"), "not a list of objects"),
    "a list of strings": (set_model("licenses", ["Apache-2.0"]), "not a list of objects"),
    "no id or name": (set_model("licenses", [{"license": {}}]), "names no licence"),
    "empty id": (set_model("licenses", [{"license": {"id": ""}}]), "names no licence"),
    "licence not an object": (set_model("licenses", [{"license": "Apache-2.0"}]), "names no"),
    "id of the wrong type": (set_model("licenses", [{"license": {"id": 7}}]), "names no licence"),
    "blank id": (set_model("licenses", [{"license": {"id": "  "}}]), "names no licence"),
    "empty name": (set_model("licenses", [{"license": {"name": ""}}]), "names no licence"),
    "empty expression": (set_model("licenses", [{"expression": ""}]), "names no licence"),
    "expression not a string": (set_model("licenses", [{"expression": ["MIT"]}]), "names no"),
    "an entry that is neither": (set_model("licenses", [{"acknowledgement": "x"}]), "names no"),
    "not allowed": (set_model("licenses", [{"license": {"id": "GPL-3.0"}}]), "GPL-3.0 is not"),
    "one of two not allowed": (
        set_model("licenses", [{"license": {"id": "Apache-2.0"}}, {"license": {"name": "Evil"}}]),
        "Evil is not allowed",
    ),
    "expression not listed": (
        set_model("licenses", [{"expression": "Apache-2.0 OR GPL-3.0"}]),
        "is not allowed",
    ),
    "no model component": (no_model_component, "no machine-learning-model component"),
}


@pytest.mark.parametrize("case", sorted(LICENCE_FAILS))
def test_licenses_fails(base_bom: dict[str, Any], case: str) -> None:
    edit, reason = LICENCE_FAILS[case]
    check = judge("licenses", {"allow": ["Apache-2.0", "MIT"]}, edited(base_bom, edit))
    assert check.status == FAIL and reason in check.message, check


def test_licenses_passes_and_allow_missing(base_bom: dict[str, Any]) -> None:
    assert judge("licenses", {"allow": ["apache-2.0"]}, base_bom).status == PASS
    setting = {"allow": ["MIT"], "allowMissing": True}
    assert judge("licenses", setting, edited(base_bom, drop_model("licenses"))).status == SKIP
    assert judge("licenses", setting, base_bom).status == FAIL  # present and not allowed
    wrong = edited(base_bom, set_model("licenses", "MIT"))
    assert judge("licenses", setting, wrong).status == FAIL  # malformed is not "missing"


# --- baseModels ------------------------------------------------------------------------------


def set_ancestors(value: Any) -> Edit:
    return lambda doc: model(doc).__setitem__("pedigree", {"ancestors": value})


BASE_MODEL_FAILS: dict[str, tuple[Edit, str]] = {
    "no pedigree": (drop_model("pedigree"), "records no base model"),
    "empty pedigree": (set_model("pedigree", {}), "records no base model"),
    "empty ancestors": (set_ancestors([]), "records no base model"),
    "ancestors a string": (set_ancestors("acme/x"), "not a list of objects"),
    "pedigree a list": (set_model("pedigree", [{"name": "acme/x"}]), "not a list of objects"),
    "nameless ancestor": (set_ancestors([{"type": "machine-learning-model"}]), "no name, purl"),
    "name of the wrong type": (set_ancestors([{"name": 5}]), "no name, purl"),
    "empty name and purl": (set_ancestors([{"name": "", "purl": ""}]), "no name, purl"),
    "name differs in case": (set_ancestors([{"name": "ACME/x"}]), "ACME/x is not allowed"),
    "purl not allowed": (set_ancestors([{"purl": "pkg:hf/evil/m"}]), "pkg:hf/evil/m is not"),
    "serial not allowed": (
        set_ancestors([{"properties": [{"name": "mbom:parent:serialNumber", "value": "urn:x"}]}]),
        "urn:x is not allowed",
    ),
    "not allowed": (set_ancestors([{"name": "evil/model"}]), "evil/model is not allowed"),
    "one of two not allowed": (
        set_ancestors([{"name": "acme/ok"}, {"name": "evil/model"}]),
        "evil/model is not allowed",
    ),
    "no model component": (no_model_component, "no machine-learning-model component"),
}


@pytest.mark.parametrize("case", sorted(BASE_MODEL_FAILS))
def test_base_models_fails(base_bom: dict[str, Any], case: str) -> None:
    edit, reason = BASE_MODEL_FAILS[case]
    check = judge("baseModels", {"allow": ["acme/*", "parent"]}, edited(base_bom, edit))
    assert check.status == FAIL and reason in check.message, check


def test_base_models_passes_and_allow_missing(base_bom: dict[str, Any]) -> None:
    check = judge("baseModels", {"allow": ["acme/*", "parent"]}, base_bom)
    assert check.status == PASS and "(2)" in check.message
    setting = {"allow": ["acme/*"], "allowMissing": True}
    assert judge("baseModels", setting, edited(base_bom, drop_model("pedigree"))).status == SKIP
    assert judge("baseModels", setting, base_bom).status == FAIL  # "parent" is not allowed


# --- datasets --------------------------------------------------------------------------------


def datasets_only(edit: Callable[[dict[str, Any]], None]) -> Edit:
    def apply(doc: dict[str, Any]) -> None:
        for component in doc["components"]:
            if component.get("type") == "data":
                edit(component)

    return apply


def set_prop(name: str, value: str | None) -> Callable[[dict[str, Any]], None]:
    def apply(component: dict[str, Any]) -> None:
        props = [p for p in component["properties"] if p["name"] != name]
        if value is not None:
            props.append({"name": name, "value": value})
        component["properties"] = props

    return apply


def no_datasets(doc: dict[str, Any]) -> None:
    doc["components"] = [c for c in doc["components"] if c.get("type") != "data"]


def second_dataset(digest: str) -> Edit:
    def apply(doc: dict[str, Any]) -> None:
        extra = {
            "type": "data",
            "bom-ref": "dataset:other",
            "name": "other",
            "properties": [
                {"name": "mbom:hashed", "value": "true"},
                {"name": "mbom:merkle-root:sha256", "value": digest},
            ],
        }
        doc["components"].append(extra)

    return apply


def sha_only(digest: str) -> Callable[[dict[str, Any]], None]:
    def apply(component: dict[str, Any]) -> None:
        set_prop("mbom:merkle-root:sha256", None)(component)
        component["hashes"] = [{"alg": "SHA-256", "content": digest}]

    return apply


DATASET_FAILS: dict[str, tuple[Edit, str]] = {
    "no dataset": (no_datasets, "records no dataset to check against the allow-list"),
    "no components": (lambda doc: doc.pop("components"), "records no dataset"),
    "components a string": (lambda doc: doc.__setitem__("components", "x"), "not a list"),
    "unhashed": (datasets_only(set_prop("mbom:hashed", "false")), "recorded without digests"),
    "hashed flag absent": (datasets_only(set_prop("mbom:hashed", None)), "without digests"),
    "hashed, no digest": (
        datasets_only(set_prop("mbom:merkle-root:sha256", None)),
        "marked hashed but records no digest",
    ),
    "hashes of the wrong type": (
        datasets_only(lambda c: (set_prop("mbom:merkle-root:sha256", None)(c), c.update(hashes=1))),
        "not a list of objects",
    ),
    "digest not allowed": (datasets_only(set_prop("mbom:merkle-root:sha256", "0" * 64)), "not"),
    "SHA-256 not allowed": (datasets_only(sha_only("1" * 64)), "is not allowed"),
    "only a SHA-512 digest": (
        datasets_only(
            lambda c: (
                set_prop(MERKLE, None)(c),
                c.update(hashes=[{"alg": "SHA-512", "content": "1" * 128}]),
            )
        ),
        "marked hashed but records no digest",
    ),
    "digest not a string": (
        datasets_only(
            lambda c: (
                set_prop(MERKLE, None)(c),
                c.update(hashes=[{"alg": "SHA-256", "content": 7}]),
            )
        ),
        "marked hashed but records no digest",
    ),
    "second dataset not allowed": (second_dataset("2" * 64), "dataset other digest"),
}


@pytest.mark.parametrize("case", sorted(DATASET_FAILS))
def test_datasets_fails(base_bom: dict[str, Any], case: str) -> None:
    edit, reason = DATASET_FAILS[case]
    doc = edited(base_bom, edit)
    allowed = {"allowDigests": [f"sha256:{_train_root(base_bom)}", DIGEST]}
    check = judge("datasets", allowed, doc)
    assert check.status == FAIL and reason in check.message, check


def _train_root(doc: dict[str, Any]) -> str:
    (train,) = [c for c in doc["components"] if c.get("type") == "data"]
    return {p["name"]: p["value"] for p in train["properties"]}["mbom:merkle-root:sha256"]


def test_datasets_without_an_allow_list_still_needs_datasets(base_bom: dict[str, Any]) -> None:
    check = judge("datasets", {}, edited(base_bom, no_datasets))
    assert check.status == FAIL and "records no dataset to check for digests" in check.message
    assert judge("datasets", {}, base_bom).status == PASS
    unhashed = edited(base_bom, datasets_only(set_prop("mbom:hashed", "false")))
    assert judge("datasets", {"allowUnhashed": True}, unhashed).status == PASS
    setting = {"allowDigests": [DIGEST], "allowMissing": True}
    assert judge("datasets", setting, edited(base_bom, no_datasets)).status == SKIP
    assert judge("datasets", setting, base_bom).status == FAIL
    sha = edited(base_bom, datasets_only(sha_only(DIGEST)))
    assert judge("datasets", {"allowDigests": [DIGEST.upper()]}, sha).status == PASS


# --- modelCard -------------------------------------------------------------------------------


def set_task(value: Any) -> Edit:
    return lambda doc: model(doc)["modelCard"]["modelParameters"].__setitem__("task", value)


CARD_FAILS: dict[str, Edit] = {
    "no card": drop_model("modelCard"),
    "empty card": set_model("modelCard", {}),
    "no modelParameters": lambda doc: model(doc)["modelCard"].pop("modelParameters"),
    "modelParameters a list": lambda doc: model(doc)["modelCard"].update(modelParameters=[1]),
    "task absent": lambda doc: model(doc)["modelCard"]["modelParameters"].pop("task"),
    "task empty": set_task(""),
    "task blank": set_task("   "),
    "task null": set_task(None),
    "task an empty list": set_task([]),
    "task an empty object": set_task({}),
}


@pytest.mark.parametrize("case", sorted(CARD_FAILS))
def test_model_card_fails(base_bom: dict[str, Any], case: str) -> None:
    setting = {"required": ["modelParameters.task"]}
    check = judge("modelCard", setting, edited(base_bom, CARD_FAILS[case]))
    assert check.status == FAIL and "lacks modelParameters.task" in check.message, check


def test_model_card_wrong_shape_and_pass(base_bom: dict[str, Any]) -> None:
    setting = {"required": ["modelParameters.task"]}
    assert judge("modelCard", setting, base_bom).status == PASS
    check = judge("modelCard", setting, edited(base_bom, set_model("modelCard", "x")))
    assert check.status == FAIL and "modelCard is not an object" in check.message
    two = {"required": ["modelParameters.task", "considerations.useCases"]}
    check = judge("modelCard", two, base_bom)
    assert check.status == FAIL and check.expected == "considerations.useCases"


# --- maxBomAge -------------------------------------------------------------------------------

NOW = dt.datetime(2026, 6, 1, 12, 0, 0, tzinfo=dt.timezone.utc)


def stamped(value: Any) -> Edit:
    return lambda doc: doc["metadata"].__setitem__("timestamp", value)


def at(seconds: float) -> str:
    return (NOW + dt.timedelta(seconds=seconds)).isoformat()


AGE_FAILS: dict[str, tuple[Edit, str]] = {
    "no metadata": (lambda doc: doc.pop("metadata"), "records no timestamp"),
    "metadata not an object": (lambda doc: doc.update(metadata=[]), "records no timestamp"),
    "no timestamp": (lambda doc: doc["metadata"].pop("timestamp"), "records no timestamp"),
    "empty timestamp": (stamped(""), "records no timestamp"),
    "numeric timestamp": (stamped(1_700_000_000), "records no timestamp"),
    "unparseable": (stamped("yesterday"), "is unreadable"),
    "lowercase z": (stamped("2026-06-01T12:00:00z"), "is unreadable"),
    "date only with Z, too old": (stamped("2026-04-01Z"), "is older than 30d"),
    "year one": (stamped("0001-01-01T00:00:00+01:00"), "is older than 30d"),
    "date only, ahead": (stamped("2026-06-02"), "in the future"),
    "too old": (stamped(at(-30 * 86400 - 1)), "is older than 30d"),
    "just past the skew": (stamped(at(CLOCK_SKEW_SECONDS + 1)), "in the future"),
    "a day ahead": (stamped(at(86400)), "86400 s in the future"),
    "far future": (stamped("9999-12-31T23:59:59Z"), "in the future"),
    "future, no zone (UTC)": (stamped(at(3600).replace("+00:00", "")), "in the future"),
    "future in another zone": (stamped("2026-06-01T14:00:00+01:00"), "in the future"),
}


@pytest.mark.parametrize("case", sorted(AGE_FAILS))
def test_max_bom_age_fails(base_bom: dict[str, Any], case: str) -> None:
    edit, reason = AGE_FAILS[case]
    check = judge("maxBomAge", "30d", edited(base_bom, edit), now=NOW)
    assert check.status == FAIL and reason in check.message, check


@pytest.mark.parametrize(
    "offset", [0, CLOCK_SKEW_SECONDS, CLOCK_SKEW_SECONDS - 1, -30 * 86400, -1, 1]
)
def test_max_bom_age_passes_within_the_bounds(base_bom: dict[str, Any], offset: int) -> None:
    check = judge("maxBomAge", "30d", edited(base_bom, stamped(at(offset))), now=NOW)
    assert check.status == PASS, check


# --- requireVerifiedParents ------------------------------------------------------------------


@pytest.fixture(scope="module")
def lineage_checks(signed: Signed, base_bom: dict[str, Any]) -> list[Check]:
    """The real lineage checks of the fixture: its parent bundle verified with its key."""
    trust = load_trust(keys=(str(signed.pub),))
    checks = check_lineage(base_bom, ParentBundles.load([str(signed.parent_bundle)]), trust)
    assert [c.status for c in checks] == ["skip", "pass"]  # the card base model, the parent
    return checks


def parent_ancestor(doc: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in model(doc)["pedigree"]["ancestors"] if a["name"] == "parent")


KEEP = "keep"


def twin_parent(serial: str | None, root: str | None) -> Edit:
    """A second ancestor named "parent" like the verified one, with another identity
    (``KEEP`` keeps the verified one's value, None drops the property)."""

    def apply(doc: dict[str, Any]) -> None:
        twin = copy.deepcopy(parent_ancestor(doc))
        props = {p["name"]: p["value"] for p in twin["properties"]}
        for name, value in (("mbom:parent:serialNumber", serial), (MERKLE, root)):
            if value is None:
                props.pop(name)
            elif value != KEEP:
                props[name] = value
        twin["properties"] = [{"name": k, "value": v} for k, v in props.items()]
        model(doc)["pedigree"]["ancestors"].append(twin)

    return apply


def keep_card_base_only(doc: dict[str, Any]) -> None:
    ancestors = model(doc)["pedigree"]["ancestors"]
    model(doc)["pedigree"]["ancestors"] = [a for a in ancestors if a["name"] != "parent"]


PARENT_FAILS: dict[str, tuple[Edit, str]] = {
    "same name, other serial": (
        twin_parent("urn:uuid:00000000-0000-4000-8000-000000000000", "1" * 64),
        "is not verified",
    ),
    "same name and serial, other root": (twin_parent(KEEP, "1" * 64), "is not verified"),
    "same name and serial, no root": (twin_parent(KEEP, None), "without a model Merkle root"),
    "same name, no serial": (twin_parent(None, None), "recorded without a serial number"),
    "no parent BOM, only a card base model": (keep_card_base_only, "records no parent BOM"),
    "no pedigree": (drop_model("pedigree"), "records no parent BOM"),
    "ancestors of the wrong type": (set_ancestors({"name": "parent"}), "not a list of objects"),
}


@pytest.mark.parametrize("case", sorted(PARENT_FAILS))
def test_verified_parents_fails(
    signed: Signed, base_bom: dict[str, Any], lineage_checks: list[Check], case: str
) -> None:
    edit, reason = PARENT_FAILS[case]
    doc = edited(base_bom, edit)
    trust = load_trust(keys=(str(signed.pub),))
    lineage = check_lineage(doc, ParentBundles.load([str(signed.parent_bundle)]), trust)
    check = judge("requireVerifiedParents", True, doc, lineage=lineage)
    assert check.status == FAIL and reason in check.message, check


@pytest.mark.parametrize("bundles", ["none", "signed by an untrusted key"])
def test_verified_parents_fails_unless_the_parent_verifies(
    signed: Signed, base_bom: dict[str, Any], bundles: str
) -> None:
    """The parent's own bundle must be given and verify with the trusted keys."""
    paths = {"none": [], "signed by an untrusted key": [str(signed.bad_parent_bundle)]}[bundles]
    trust = load_trust(keys=(str(signed.pub),))
    lineage = check_lineage(base_bom, ParentBundles.load(paths), trust)
    check = judge("requireVerifiedParents", True, base_bom, lineage=lineage)
    assert check.status == FAIL and "parent parent (urn:uuid:" in check.message, check


def test_verified_parents_is_not_fooled_by_a_name(
    base_bom: dict[str, Any], lineage_checks: list[Check]
) -> None:
    assert judge("requireVerifiedParents", True, base_bom, lineage=lineage_checks).status == PASS
    # No lineage at all, a failed one, or a passing check that only names the parent.
    (verified,) = [c for c in lineage_checks if c.status == PASS]
    assert isinstance(verified, ParentCheck)
    by_name = passed("lineage", "parent parent verified", path="parent")
    failed = ParentCheck("lineage", FAIL, "x", path="parent", parent=verified.parent)
    warned = dataclasses.replace(verified, status="warn")
    for lineage in ([], [by_name], [failed], [warned]):
        check = judge("requireVerifiedParents", True, base_bom, lineage=lineage)
        assert check.status == FAIL and "is not verified" in check.message, lineage
    assert judge("requireVerifiedParents", {"allowMissing": True}, base_bom).status == FAIL
    bare = edited(base_bom, keep_card_base_only)
    assert judge("requireVerifiedParents", {"allowMissing": True}, bare).status == SKIP
    assert judge("requireVerifiedParents", {}, bare).status == FAIL


# --- every rule ------------------------------------------------------------------------------

SETTINGS = {
    "licenses": {"allow": ["MIT"]},
    "baseModels": {"allow": ["*"]},
    "datasets": {},
    "modelCard": {"required": ["modelParameters.task"]},
    "maxBomAge": "30d",
    "requireVerifiedParents": True,
}


@pytest.mark.parametrize("rule", sorted(SETTINGS))
def test_every_rule_needs_a_bom(rule: str) -> None:
    check = judge(rule, SETTINGS[rule], None)
    assert check.status == FAIL and not check.evaluated


@pytest.mark.parametrize("rule", sorted(set(SETTINGS) - {"datasets"}))  # datasets are top-level
def test_every_rule_fails_on_a_bom_without_a_model(base_bom: dict[str, Any], rule: str) -> None:
    doc = edited(base_bom, no_model_component)
    doc.pop("metadata")
    check = judge(rule, SETTINGS[rule], doc, now=NOW)
    assert check.status == FAIL, check


@pytest.mark.parametrize("rule", sorted(SETTINGS))
def test_warn_mode_softens_every_rule(base_bom: dict[str, Any], rule: str) -> None:
    policy = Policy("p.yaml", mode="warn", rules={rule: SETTINGS[rule]})
    (check,) = evaluate_rules(policy, Evidence(bom=edited(base_bom, drop_model("licenses"))))
    assert check.status in ("warn", PASS)


def test_a_configuration_is_not_a_dataset(base_bom: dict[str, Any]) -> None:
    config = {
        "type": "data",
        "bom-ref": "config:train.yaml",
        "name": "train.yaml",
        "data": [{"type": "configuration", "name": "train.yaml"}],
    }
    with_config = edited(base_bom, lambda doc: doc["components"].append(config))
    assert judge("datasets", {}, with_config).status == PASS
    only_config = edited(with_config, no_datasets)
    only_config["components"].append(config)
    check = judge("datasets", {}, only_config)
    assert check.status == FAIL and "records no dataset" in check.message
