"""What each policy rule reports: the whole check (id, status, message, path, expected, actual).

A report is what a security engineer acts on: the failing path, the allow-list it was held to,
the value that broke it. These tests pin the complete :class:`Check` for every branch of every
rule on the real fixture BOM (edited as each case says), so that a rule that fails for the
wrong reason, or names the wrong file, is caught as surely as one that passes. The verdicts
over every failing input are in test_policy_rules.py and test_pickle_rules.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from mbom.verify.checks import FAIL, PASS, SKIP, Check, fail
from mbom.verify.lineage import ParentBundles, check_lineage
from mbom.verify.rules import RULES, Evidence
from mbom.verify.trust import load_trust
from tests.verify.conftest import Signed
from tests.verify.test_pickle_rules import SAFE_TORCH, SAFETENSORS, _bom
from tests.verify.test_policy_rules import (
    MERKLE,
    NOW,
    _train_root,
    at,
    datasets_only,
    drop_model,
    edited,
    judge,
    keep_card_base_only,
    model,
    no_datasets,
    parent_ancestor,
    set_ancestors,
    set_model,
    set_prop,
    stamped,
)

SERIAL = "mbom:parent:serialNumber"


@pytest.fixture(scope="module")
def base_bom(signed: Signed) -> dict[str, Any]:
    return json.loads(signed.bom.read_text())


def _props(component: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in component.get("properties", ())}


# --- licenses --------------------------------------------------------------------------------

ALLOW = {"allow": ["Apache-2.0", "MIT"]}


def test_licenses_reports(base_bom: dict[str, Any]) -> None:
    expected = "Apache-2.0, MIT"
    assert judge("licenses", ALLOW, base_bom) == Check(
        "policy:licenses", PASS, "licence Apache-2.0 is allowed"
    )
    two = [{"license": {"name": "mit"}}, {"expression": "Apache-2.0"}]
    assert judge("licenses", ALLOW, edited(base_bom, set_model("licenses", two))) == Check(
        "policy:licenses", PASS, "licence mit, Apache-2.0 is allowed"
    )
    assert judge("licenses", ALLOW, edited(base_bom, drop_model("licenses"))) == fail(
        "policy:licenses", "the model declares no licence", expected=expected
    )
    blank = edited(base_bom, set_model("licenses", [{"license": {"id": "  "}}]))
    assert judge("licenses", ALLOW, blank) == fail(
        "policy:licenses",
        "a licence entry of the model names no licence (no id, name or expression)",
        expected=expected,
    )
    gpl = edited(
        base_bom, set_model("licenses", [{"license": {"id": "MIT"}}, {"expression": "GPL"}])
    )
    assert judge("licenses", ALLOW, gpl) == fail(
        "policy:licenses", "licence GPL is not allowed", expected=expected, actual="GPL"
    )
    wrong = edited(base_bom, set_model("licenses", {"license": {"id": "MIT"}}))
    assert judge("licenses", ALLOW, wrong) == fail(
        "policy:licenses", "rule licenses: the model's licenses is not a list of objects"
    )
    missing = {**ALLOW, "allowMissing": True}
    assert judge("licenses", missing, edited(base_bom, drop_model("licenses"))) == Check(
        "policy:licenses",
        SKIP,
        "the model declares no licence; the policy allows that (allowMissing)",
    )


# --- baseModels ------------------------------------------------------------------------------

PATTERNS = {"allow": ["acme/*", "parent"]}


def test_base_models_reports(base_bom: dict[str, Any]) -> None:
    expected = "acme/*, parent"
    assert judge("baseModels", PATTERNS, edited(base_bom, drop_model("pedigree"))) == fail(
        "policy:baseModels",
        "the BOM records no base model to check against the allow-list",
        expected=expected,
    )
    nameless = edited(base_bom, set_ancestors([{"name": "", "purl": ""}]))
    assert judge("baseModels", PATTERNS, nameless) == fail(
        "policy:baseModels",
        "a base model of the BOM records no name, purl or serial number to check",
        expected=expected,
    )
    evil = edited(base_bom, set_ancestors([{"name": "acme/ok"}, {"name": "evil/m"}]))
    assert judge("baseModels", PATTERNS, evil) == fail(
        "policy:baseModels", "base model evil/m is not allowed", actual="evil/m", expected=expected
    )


def test_base_models_match_a_purl_or_a_parent_serial(base_bom: dict[str, Any]) -> None:
    """A base model recorded only by purl, or only by its parent BOM's serial, is still judged."""
    serial = "urn:uuid:8437e73b-caf5-5f3b-a7a9-efe79409fbe2"
    by_purl = edited(base_bom, set_ancestors([{"purl": "pkg:huggingface/acme/x"}]))
    by_serial = edited(
        base_bom, set_ancestors([{"properties": [{"name": SERIAL, "value": serial}]}])
    )
    for doc, allowed in ((by_purl, "pkg:huggingface/acme/*"), (by_serial, "urn:uuid:8437e73b-*")):
        assert judge("baseModels", {"allow": [allowed]}, doc) == Check(
            "policy:baseModels", PASS, "every base model is allowed (1)"
        )
    assert judge("baseModels", {"allow": ["acme/*"]}, by_purl).actual == "pkg:huggingface/acme/x"
    assert judge("baseModels", {"allow": ["acme/*"]}, by_serial).actual == serial


# --- datasets --------------------------------------------------------------------------------


def test_datasets_reports(base_bom: dict[str, Any]) -> None:
    root = _train_root(base_bom)
    assert judge("datasets", {"allowDigests": [root]}, base_bom) == Check(
        "policy:datasets", PASS, "every dataset is allowed (1)"
    )
    assert judge("datasets", {"allowDigests": ["0" * 64]}, base_bom) == fail(
        "policy:datasets",
        f"dataset train digest {root} is not allowed",
        path="train",
        actual=root,
    )
    unhashed = edited(base_bom, datasets_only(set_prop("mbom:hashed", "false")))
    assert judge("datasets", {}, unhashed) == fail(
        "policy:datasets", "dataset train is recorded without digests", path="train"
    )
    rootless = edited(base_bom, datasets_only(set_prop(MERKLE, None)))
    assert judge("datasets", {}, rootless) == fail(
        "policy:datasets", "dataset train is marked hashed but records no digest", path="train"
    )
    bad_hashes = edited(rootless, datasets_only(lambda c: c.update(hashes={"alg": "SHA-256"})))
    assert judge("datasets", {}, bad_hashes) == fail(
        "policy:datasets", "rule datasets: dataset train's hashes is not a list of objects"
    )
    components = edited(base_bom, lambda doc: doc.update(components={"type": "data"}))
    assert judge("datasets", {}, components) == fail(
        "policy:datasets", "rule datasets: the BOM's components is not a list of objects"
    )
    missing = {"allowDigests": [root], "allowMissing": True}
    assert judge("datasets", missing, edited(base_bom, no_datasets)) == Check(
        "policy:datasets",
        SKIP,
        "the BOM records no dataset to check against the allow-list; the policy allows that "
        "(allowMissing)",
    )


def test_a_dataset_is_named_by_its_name_then_its_bom_ref(base_bom: dict[str, Any]) -> None:
    unhashed = edited(base_bom, datasets_only(set_prop("mbom:hashed", "false")))
    by_ref = edited(unhashed, datasets_only(lambda c: c.pop("name")))
    assert judge("datasets", {}, by_ref).path == "dataset:train"
    anonymous = edited(by_ref, datasets_only(lambda c: c.pop("bom-ref")))
    assert judge("datasets", {}, anonymous) == fail(
        "policy:datasets", "dataset (unnamed) is recorded without digests", path="(unnamed)"
    )


def test_datasets_judge_every_dataset_after_an_allowed_unhashed_one(
    base_bom: dict[str, Any],
) -> None:
    """allowUnhashed lets an unhashed dataset through; the next one is still checked."""
    root = _train_root(base_bom)
    doc = edited(base_bom, datasets_only(set_prop("mbom:hashed", "false")))
    doc["components"].append(
        {
            "type": "data",
            "name": "other",
            "properties": [
                {"name": "mbom:hashed", "value": "true"},
                {"name": MERKLE, "value": root},
            ],
        }
    )
    setting = {"allowUnhashed": True, "allowDigests": ["0" * 64]}
    assert judge("datasets", setting, doc) == fail(
        "policy:datasets", f"dataset other digest {root} is not allowed", path="other", actual=root
    )
    assert judge("datasets", {"allowUnhashed": True}, doc).status == PASS


def test_a_digest_that_is_not_a_string_is_no_digest(base_bom: dict[str, Any]) -> None:
    rootless = edited(base_bom, datasets_only(set_prop(MERKLE, None)))
    numeric = edited(
        rootless, datasets_only(lambda c: c.update(hashes=[{"alg": "SHA-256", "content": 7}]))
    )
    assert judge("datasets", {}, numeric) == fail(
        "policy:datasets", "dataset train is marked hashed but records no digest", path="train"
    )


# --- forbidPickle / forbidFlaggedCheckpoints -------------------------------------------------

PICKLE = [("mbom:checkpoint:format", "pickle")]
NO_SCAN = "the BOM does not record a content scan (mbom:checkpoint:scan)"


def _rule(rule: str, bom: dict[str, Any]) -> Check:
    return RULES[rule](True, Evidence(bom=bom))


def test_forbid_pickle_reports() -> None:
    bom = _bom({"model.safetensors": SAFETENSORS}, {"a.bin": PICKLE}, {"b.pt": SAFE_TORCH})
    assert _rule("forbidPickle", bom) == fail(
        "policy:forbidPickle",
        "a.bin can run code when loaded (pickle) (and 1 more)",
        path="a.bin",
        actual="pickle",
    )
    one = _bom({"model.safetensors": SAFETENSORS}, {"b.pt": SAFE_TORCH})
    assert _rule("forbidPickle", one) == fail(
        "policy:forbidPickle",
        "b.pt can run code when loaded (pytorch)",
        path="b.pt",
        actual="pytorch",
    )
    unscanned = _bom({"c.json": [("mbom:role", "config")]}, scanned=False)
    assert _rule("forbidPickle", unscanned) == fail(
        "policy:forbidPickle", f"c.json is unknown: {NO_SCAN} (no format recorded)", path="c.json"
    )
    assert _rule("forbidPickle", _bom()) == fail(
        "policy:forbidPickle", "the BOM lists no model files to judge"
    )
    assert _rule("forbidPickle", _bom({"model.safetensors": SAFETENSORS})) == Check(
        "policy:forbidPickle", PASS, "none of 1 files can run code when loaded"
    )


def test_forbid_flagged_reports() -> None:
    globals_ = ("mbom:checkpoint:dangerous-globals", '["posix.system", "builtins.eval"]')
    bom = _bom(
        {"model.safetensors": SAFETENSORS}, {"a.pt": [*SAFE_TORCH, globals_]}, {"b.bin": PICKLE}
    )
    check = _rule("forbidFlaggedCheckpoints", bom)
    assert (check.id, check.status, check.path) == ("policy:forbidFlaggedCheckpoints", FAIL, "a.pt")
    assert check.actual == "posix.system, builtins.eval"
    assert check.message == "a.pt is flagged: pytorch: posix.system, builtins.eval (and 1 more)"
    one = _bom({"model.safetensors": SAFETENSORS}, {"b.bin": PICKLE})
    assert _rule("forbidFlaggedCheckpoints", one) == fail(
        "policy:forbidFlaggedCheckpoints",
        "b.bin is flagged: pickle: no mbom:checkpoint:safe-to-load property",
        path="b.bin",
        actual="no mbom:checkpoint:safe-to-load property",
    )
    unscanned = _bom({"c.json": [("mbom:role", "config")]}, scanned=False)
    assert _rule("forbidFlaggedCheckpoints", unscanned) == fail(
        "policy:forbidFlaggedCheckpoints",
        f"c.json is flagged: unknown format: {NO_SCAN}",
        path="c.json",
        actual=NO_SCAN,
    )
    assert _rule("forbidFlaggedCheckpoints", _bom()) == fail(
        "policy:forbidFlaggedCheckpoints", "the BOM lists no model files to judge"
    )
    assert _rule("forbidFlaggedCheckpoints", _bom({"model.safetensors": SAFETENSORS})) == Check(
        "policy:forbidFlaggedCheckpoints", PASS, "none of 1 files is flagged"
    )


# --- modelCard -------------------------------------------------------------------------------


def test_model_card_reports(base_bom: dict[str, Any]) -> None:
    setting = {"required": ["modelParameters.task"]}
    assert judge("modelCard", setting, base_bom) == Check(
        "policy:modelCard", PASS, "model card has every required field"
    )
    two = {"required": ["modelParameters.task", "a.b", "c"]}
    assert judge("modelCard", two, base_bom) == fail(
        "policy:modelCard", "model card lacks a.b, c", expected="a.b, c"
    )
    wrong = edited(base_bom, set_model("modelCard", ["task"]))
    assert judge("modelCard", setting, wrong) == fail(
        "policy:modelCard", "rule modelCard: the model's modelCard is not an object"
    )


def test_a_non_empty_list_or_object_is_content(base_bom: dict[str, Any]) -> None:
    def fill(doc: dict[str, Any]) -> None:
        card = model(doc)["modelCard"]
        card["considerations"] = {"useCases": ["triage"], "ethicalConsiderations": [{"name": "x"}]}

    setting = {"required": ["considerations.useCases", "considerations"]}
    assert judge("modelCard", setting, edited(base_bom, fill)).status == PASS


# --- maxBomAge -------------------------------------------------------------------------------


def test_max_bom_age_reports(base_bom: dict[str, Any]) -> None:
    old, ahead = at(-31 * 86400), at(3600)
    assert judge("maxBomAge", "30d", edited(base_bom, stamped(old)), now=NOW) == fail(
        "policy:maxBomAge", f"BOM made {old} is older than 30d", expected="30d", actual=old
    )
    assert judge("maxBomAge", "30d", edited(base_bom, stamped(ahead)), now=NOW) == fail(
        "policy:maxBomAge",
        f"BOM timestamp {ahead} is 3600 s in the future (more than the 300 s allowed for "
        "clock skew)",
        expected="at most 300 s after 2026-06-01T12:00:00+00:00",
        actual=ahead,
    )
    assert judge("maxBomAge", "30d", edited(base_bom, stamped("nope")), now=NOW) == fail(
        "policy:maxBomAge", "BOM timestamp 'nope' is unreadable", actual="nope"
    )
    assert judge("maxBomAge", "30d", edited(base_bom, stamped("")), now=NOW) == fail(
        "policy:maxBomAge", "the BOM records no timestamp (metadata.timestamp)"
    )
    recent = at(-10)
    assert judge("maxBomAge", "30d", edited(base_bom, stamped(recent)), now=NOW) == Check(
        "policy:maxBomAge", PASS, f"BOM made {recent}, within 30d"
    )


def test_max_bom_age_reads_a_utc_designator(base_bom: dict[str, Any]) -> None:
    """``Z`` is UTC, even on a date alone (older Pythons' fromisoformat reads no ``Z``)."""
    check = judge("maxBomAge", "30d", edited(base_bom, stamped("2026-05-01Z")), now=NOW)
    assert check == fail(
        "policy:maxBomAge",
        "BOM made 2026-05-01Z is older than 30d",
        expected="30d",
        actual="2026-05-01Z",
    )
    utc = judge("maxBomAge", "30d", edited(base_bom, stamped("2026-06-01T11:00:00Z")), now=NOW)
    assert utc.status == PASS


# --- requireVerifiedParents ------------------------------------------------------------------


def test_verified_parents_reports(signed: Signed, base_bom: dict[str, Any]) -> None:
    trust = load_trust(keys=(str(signed.pub),))
    lineage = check_lineage(base_bom, ParentBundles.load([str(signed.parent_bundle)]), trust)
    assert judge("requireVerifiedParents", True, base_bom, lineage=lineage) == Check(
        "policy:requireVerifiedParents", PASS, "every parent BOM is verified (1)"
    )
    props = _props(parent_ancestor(base_bom))
    assert judge("requireVerifiedParents", True, base_bom) == fail(
        "policy:requireVerifiedParents",
        f"parent parent ({props[SERIAL]}) is not verified",
        path="parent",
        expected=props[MERKLE],
    )
    rootless = edited(
        base_bom,
        lambda doc: parent_ancestor(doc).update(
            properties=[{"name": SERIAL, "value": props[SERIAL]}]
        ),
    )
    assert judge("requireVerifiedParents", True, rootless) == fail(
        "policy:requireVerifiedParents",
        "parent parent is recorded without a model Merkle root: no bundle can be matched to it",
        path="parent",
    )
    assert judge("requireVerifiedParents", True, edited(base_bom, keep_card_base_only)) == fail(
        "policy:requireVerifiedParents", "the BOM records no parent BOM to verify"
    )


def test_an_unnamed_parent_is_reported_as_unnamed(base_bom: dict[str, Any]) -> None:
    doc = edited(base_bom, lambda d: parent_ancestor(d).pop("name"))
    check = judge("requireVerifiedParents", True, doc)
    assert (check.status, check.path) == (FAIL, "(unnamed)")
    assert check.message.startswith("parent (unnamed) (urn:uuid:")
