"""Attestations must bind the WHOLE model (issue 10, item 10): each attack reproduced with
real bundles signed here by mbom's own DSSE signer, and shown to fail naming the path.

* a subset in-toto statement (SLSA provenance listing some files) never verifies a model on
  its own, so an ``evil.py`` added beside fails ``model-coverage``;
* every predicateType naming CycloneDX is an MBOM (subjects must list every file);
* duplicate subjects fail; every digest algorithm of a subject is checked;
* ``minSigners`` counts distinct signers of verified whole-model attestations only.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from mbom.attest import load_signing_key, write_bundle
from mbom.attest.signing import sign_statement
from mbom.attest.statement import Statement, Subject, is_bom_predicate_type
from mbom.verify.pipeline import VerifyRequest, verify
from tests.verify.conftest import MODEL, Signed, report_schema, run_mbom

SLSA = "https://slsa.dev/provenance/v1"
VALIDATOR = jsonschema.Draft7Validator(report_schema())


def statement_for(
    model: Path,
    names,
    predicate_type: str = SLSA,
    predicate: dict | None = None,
    extra: dict | None = None,
) -> Statement:
    """An in-toto statement whose subjects are ``names`` of ``model`` with their true digests."""
    subjects = []
    for name in names:
        digest = {"sha256": hashlib.sha256((model / name).read_bytes()).hexdigest()}
        digest.update((extra or {}).get(name, {}))
        subjects.append(Subject(name=name, digest=digest))
    return Statement(tuple(subjects), predicate_type, predicate or {"buildDefinition": {}})


def sign(statement: Statement, pem: Path, out: Path) -> Path:
    return write_bundle(sign_statement(statement, keys=[load_signing_key(pem)]), out)


def run(model: Path, bundles, pubs, policy: Path | None = None):
    report = verify(
        VerifyRequest(
            path=str(model),
            bundles=tuple(str(b) for b in bundles),
            keys=tuple(str(p) for p in pubs),
            policy=str(policy) if policy else None,
            schema=False,
        )
    )
    VALIDATOR.validate(report.as_json())
    return report


def failing(report, check_id: str) -> list:
    return [c for c in report.failures() if c.id == check_id]


def cli_json(model: Path, *args) -> tuple[int, dict]:
    result = run_mbom("verify", model, *args, "--format", "json")
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


@pytest.fixture
def model(work) -> Path:
    return work[0]


# --- subset attestations -------------------------------------------------------------------


def test_subset_slsa_with_an_added_file_fails_naming_it(signed: Signed, model, tmp_path):
    bundle = sign(statement_for(model, ["model.safetensors"]), signed.key, tmp_path / "slsa.json")
    (model / "evil.py").write_text("import os; os.system('id')\n")
    code, report = cli_json(model, "--bundle", bundle, "--key", signed.pub)
    assert code == 1 and report["verified"] is False
    uncovered = [c for c in report["checks"] if c["id"] == "model-coverage"]
    assert any(c["status"] == "fail" and c.get("path") == "evil.py" for c in uncovered)
    assert report["attestations"][0]["verified"] is True
    assert report["attestations"][0]["coversModel"] is False
    skipped = [c for c in report["checks"] if c["id"] == "coverage"]
    assert skipped[0]["status"] == "skip" and "1 of 7" in skipped[0]["message"]


def test_subset_slsa_never_verifies_on_its_own(signed: Signed, model, tmp_path):
    names = sorted(n for n in MODEL if n != "README.md")
    bundle = sign(statement_for(model, names), signed.key, tmp_path / "slsa.json")
    report = run(model, [bundle], [signed.pub])
    assert report.exit_code == 1
    assert [c.path for c in failing(report, "model-coverage")] == ["README.md"]


def test_slsa_listing_every_file_covers_the_model(signed: Signed, model, tmp_path):
    bundle = sign(statement_for(model, sorted(MODEL)), signed.key, tmp_path / "slsa.json")
    report = run(model, [bundle], [signed.pub])
    assert report.verified, [c.as_json() for c in report.failures()]
    assert report.attestations[0]["coversModel"] is True
    assert set(report.files) == set(MODEL)
    (model / "evil.py").write_text("x")
    again = run(model, [bundle], [signed.pub])
    assert [c.path for c in failing(again, "model-coverage")] == ["evil.py"]


def test_mbom_beside_a_subset_slsa_verifies_and_hands_out_only_covered(
    signed: Signed, model, tmp_path
):
    slsa = sign(statement_for(model, ["model.safetensors"]), signed.key, tmp_path / "slsa.json")
    report = run(model, [signed.bundle, slsa], [signed.pub])
    assert report.verified, [c.as_json() for c in report.failures()]
    assert [a["coversModel"] for a in report.attestations] == [True, False]
    assert set(report.files) == set(MODEL)


def test_two_partial_attestations_do_not_add_up(signed: Signed, model, tmp_path):
    names = sorted(MODEL)
    first = sign(statement_for(model, names[:3]), signed.key, tmp_path / "a.json")
    second = sign(statement_for(model, names[3:]), signed.key, tmp_path / "b.json")
    report = run(model, [first, second], [signed.pub])
    assert report.exit_code == 1
    (check,) = failing(report, "model-coverage")
    assert "no single attestation" in check.message and check.path is None


def test_a_failed_bundle_covers_nothing(signed: Signed, model, tmp_path):
    statement = statement_for(model, sorted(MODEL))
    bundle = sign(statement, signed.other_pem, tmp_path / "slsa.json")  # untrusted key
    report = run(model, [bundle], [signed.pub])
    assert report.exit_code == 1 and report.files == ()
    (check,) = failing(report, "model-coverage")
    assert check.evaluated is False  # the signature failure says why


# --- CycloneDX spellings -------------------------------------------------------------------

CYCLONEDX_SPELLINGS = [
    "https://cyclonedx.org/bom",
    "https://cyclonedx.org/bom/",
    "https://cyclonedx.org/bom/v1.4",
    "https://cyclonedx.org/bom/v1.6.1",
    "https://CycloneDX.org/bom",
    "HTTPS://CYCLONEDX.ORG/BOM/V1.5",
    "http://cyclonedx.org/bom",
    "https://www.cyclonedx.org/bom",
    "https://cyclonedx.org/schema",
    "https://cyclonedx.org./bom",
    "https://cyclonedx.org:443/bom",
]


@pytest.mark.parametrize("predicate_type", CYCLONEDX_SPELLINGS)
def test_every_cyclonedx_spelling_is_an_mbom(predicate_type):
    assert is_bom_predicate_type(predicate_type)


@pytest.mark.parametrize(
    "predicate_type",
    [
        "https://slsa.dev/provenance/v1",
        "https://cyclonedx.org.evil.example/bom",
        "https://evil.example/cyclonedx.org/bom",
        "https://evilcyclonedx.org/bom",
        "cyclonedx.org/bom",
        "ftp://cyclonedx.org/bom",
        "https://[::1/bom",
        "https://model_signing/signature/v1.0",
    ],
)
def test_other_predicate_types_are_not_boms(predicate_type):
    assert not is_bom_predicate_type(predicate_type)


@pytest.mark.parametrize(
    "predicate_type", ["https://cyclonedx.org/bom/", "https://CycloneDX.org/bom/v1.6.1"]
)
def test_a_subset_cyclonedx_statement_is_bound_as_an_mbom(
    signed: Signed, model, tmp_path, predicate_type
):
    bom = json.loads(signed.bom.read_text())
    statement = statement_for(model, ["model.safetensors"], predicate_type, predicate=bom)
    bundle = sign(statement, signed.key, tmp_path / "bom.json")
    (model / "evil.py").write_text("x")
    code, report = cli_json(model, "--bundle", bundle, "--key", signed.pub)
    assert code == 1
    assert report["attestations"][0]["kind"] == "mbom"
    extra = {c["path"] for c in report["checks"] if c["id"] == "extra-file"}
    assert "evil.py" in extra and "config.json" in extra


# --- duplicate subjects and digest sets ----------------------------------------------------


def test_duplicate_subject_fails_naming_it(signed: Signed, model, tmp_path):
    statement = statement_for(model, sorted(MODEL))
    forged = Subject(name="config.json", digest={"sha256": hashlib.sha256(b"evil").hexdigest()})
    statement = Statement((*statement.subjects, forged), SLSA, {})
    bundle = sign(statement, signed.key, tmp_path / "dup.json")
    code, report = cli_json(model, "--bundle", bundle, "--key", signed.pub)
    assert code == 1
    dup = [c for c in report["checks"] if c["id"] == "duplicate-subject"]
    assert [(c["status"], c["path"]) for c in dup] == [("fail", "config.json")]


def test_duplicate_subject_in_an_mbom_statement_fails(signed: Signed, model, tmp_path):
    from mbom.attest.statement import bom_statement

    bom = json.loads(signed.bom.read_text())
    statement = bom_statement(bom)
    statement = Statement(
        (*statement.subjects, statement.subjects[0]), statement.predicate_type, bom
    )
    report = run(model, [sign(statement, signed.key, tmp_path / "b.json")], [signed.pub])
    assert [c.path for c in failing(report, "duplicate-subject")] == [statement.subjects[0].name]
    assert report.files == ()


def test_duplicate_subject_of_a_single_file_fails(signed: Signed, model, tmp_path):
    path = model / "model.safetensors"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    subjects = (Subject("w", {"sha256": digest}), Subject("w", {"sha256": "0" * 64}))
    bundle = sign(Statement(subjects, SLSA, {}), signed.key, tmp_path / "one.json")
    report = run(path, [bundle], [signed.pub])
    assert [c.path for c in failing(report, "duplicate-subject")] == ["w"]


def test_a_wrong_sha512_beside_a_right_sha256_fails(signed: Signed, model, tmp_path):
    wrong = {"config.json": {"sha512": hashlib.sha512(b"other bytes").hexdigest()}}
    statement = statement_for(model, sorted(MODEL), extra=wrong)
    bundle = sign(statement, signed.key, tmp_path / "s.json")
    code, report = cli_json(model, "--bundle", bundle, "--key", signed.pub)
    assert code == 1
    bad = [c for c in report["checks"] if c["id"] == "file-digest" and c["status"] == "fail"]
    assert [c["path"] for c in bad] == ["config.json"] and "sha512" in bad[0]["message"]
    assert bad[0]["expected"] == wrong["config.json"]["sha512"]


def test_every_known_digest_is_checked_and_right_ones_pass(signed: Signed, model, tmp_path):
    data = (model / "config.json").read_bytes()
    right = {
        "sha512": hashlib.sha512(data).hexdigest(),
        "sha384": hashlib.sha384(data).hexdigest(),
        "sha3_256": hashlib.sha3_256(data).hexdigest(),
        "blake2b": hashlib.blake2b(data).hexdigest(),
        "shake256": hashlib.shake_256(data).hexdigest(32),
        "md5": hashlib.md5(data).hexdigest(),
    }
    ok = sign(
        statement_for(model, sorted(MODEL), extra={"config.json": right}),
        signed.key,
        tmp_path / "a",
    )
    assert run(model, [ok], [signed.pub]).verified
    for algorithm in right:
        wrong = {**right, algorithm: "00" * (len(right[algorithm]) // 2)}
        statement = statement_for(model, sorted(MODEL), extra={"config.json": wrong})
        report = run(model, [sign(statement, signed.key, tmp_path / algorithm)], [signed.pub])
        (check,) = failing(report, "file-digest")
        assert check.path == "config.json" and algorithm in check.message


def test_unknown_algorithms_are_listed_and_need_sha256(signed: Signed, model, tmp_path):
    extra = {"config.json": {"gitBlob": "ab" * 20, "somecoolhash": "zz"}}
    bundle = sign(statement_for(model, sorted(MODEL), extra=extra), signed.key, tmp_path / "u")
    report = run(model, [bundle], [signed.pub])
    assert report.verified
    (skip,) = [c for c in report.checks if c.id == "digest-algorithm"]
    assert "gitBlob" in skip.message and "somecoolhash" in skip.message


def test_a_directory_statement_without_sha256_fails(signed: Signed, model, tmp_path):
    subjects = tuple(
        Subject(n, {"sha512": hashlib.sha512((model / n).read_bytes()).hexdigest()})
        for n in sorted(MODEL)
    )
    bundle = sign(Statement(subjects, SLSA, {}), signed.key, tmp_path / "s")
    report = run(model, [bundle], [signed.pub])
    assert report.exit_code == 1
    assert {c.path for c in failing(report, "subjects")} == set(MODEL)


def test_a_single_file_statement_checks_every_digest(signed: Signed, model, tmp_path):
    path = model / "model.safetensors"
    data = path.read_bytes()
    good = {"sha256": hashlib.sha256(data).hexdigest(), "sha512": hashlib.sha512(data).hexdigest()}
    ok = sign(Statement((Subject("weights", good),), SLSA, {}), signed.key, tmp_path / "ok")
    report = run(path, [ok], [signed.pub])
    assert report.verified and report.files == ("model.safetensors",)
    bad = {**good, "sha512": hashlib.sha512(b"x").hexdigest()}
    wrong = sign(Statement((Subject("weights", bad),), SLSA, {}), signed.key, tmp_path / "bad")
    report = run(path, [wrong], [signed.pub])
    assert [c.path for c in failing(report, "file-digest")] == ["model.safetensors"]


def test_in_toto_statement_bound_to_a_directory(signed: Signed, model, tmp_path):
    statement = statement_for(model, sorted(MODEL))
    bundle = sign(statement, signed.key, tmp_path / "s")
    assert run(model, [bundle], [signed.pub]).verified
    (model / "tokenizer" / "vocab.txt").write_text("changed")
    report = run(model, [bundle], [signed.pub])
    assert [c.path for c in failing(report, "file-digest")] == ["tokenizer/vocab.txt"]
    (model / "config.json").unlink()
    report = run(model, [bundle], [signed.pub])
    assert "config.json" in {c.path for c in failing(report, "missing-file")}


# --- minSigners ----------------------------------------------------------------------------


def _policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


def test_min_signers_ignores_a_second_attestation_naming_one_file(signed: Signed, model, tmp_path):
    slsa = sign(statement_for(model, ["config.json"]), signed.other_pem, tmp_path / "slsa.json")
    policy = _policy(tmp_path, "rules:\n  minSigners: 2\n")
    report = run(model, [signed.bundle, slsa], [signed.pub, signed.other_pub], policy)
    (check,) = failing(report, "policy:minSigners")
    assert check.actual == "1"
    partial = _policy(tmp_path, "partialAttestations: [slsa-provenance]\nrules:\n  minSigners: 2\n")
    report = run(model, [signed.bundle, slsa], [signed.pub, signed.other_pub], partial)
    assert report.verified, [c.as_json() for c in report.failures()]


def test_min_signers_counts_a_key_once_across_bundles(signed: Signed, model, tmp_path):
    again = tmp_path / "again.sigstore.json"
    shutil.copy(signed.bundle, again)
    whole = sign(statement_for(model, sorted(MODEL)), signed.key, tmp_path / "slsa.json")
    policy = _policy(tmp_path, "rules:\n  minSigners: 2\n")
    report = run(model, [signed.bundle, again, whole], [signed.pub], policy)
    (check,) = failing(report, "policy:minSigners")
    assert check.actual == "1"
    other = sign(statement_for(model, sorted(MODEL)), signed.other_pem, tmp_path / "o.json")
    report = run(model, [signed.bundle, other], [signed.pub, signed.other_pub], policy)
    assert report.verified, [c.as_json() for c in report.failures()]


def test_min_signers_ignores_a_failed_attestation(signed: Signed, model, tmp_path):
    statement = statement_for(model, sorted(MODEL))
    forged = Statement(
        (*statement.subjects[:-1], Subject(statement.subjects[-1].name, {"sha256": "1" * 64})),
        SLSA,
        {},
    )
    bad = sign(forged, signed.other_pem, tmp_path / "bad.json")
    policy = _policy(tmp_path, "partialAttestations: [slsa-provenance]\nrules:\n  minSigners: 2\n")
    report = run(model, [signed.bundle, bad], [signed.pub, signed.other_pub], policy)
    assert failing(report, "policy:minSigners")[0].actual == "1"


def test_required_attestation_needs_whole_model_unless_partial(signed: Signed, model, tmp_path):
    slsa = sign(statement_for(model, ["config.json"]), signed.key, tmp_path / "slsa.json")
    policy = _policy(tmp_path, "requiredAttestations: [slsa-provenance]\n")
    report = run(model, [signed.bundle, slsa], [signed.pub], policy)
    assert failing(report, "policy:required-attestation")
    partial = _policy(
        tmp_path,
        "requiredAttestations: [slsa-provenance]\npartialAttestations: [slsa-provenance]\n",
    )
    assert run(model, [signed.bundle, slsa], [signed.pub], partial).verified


def test_a_wrong_sha512_in_an_mbom_subject_fails(signed: Signed, model, tmp_path):
    from mbom.attest.statement import bom_statement

    bom = json.loads(signed.bom.read_text())
    statement = bom_statement(bom)
    first = statement.subjects[0]
    forged = Subject(first.name, {**first.digest, "sha512": hashlib.sha512(b"x").hexdigest()})
    statement = Statement((forged, *statement.subjects[1:]), statement.predicate_type, bom)
    report = run(model, [sign(statement, signed.key, tmp_path / "b.json")], [signed.pub])
    assert [c.path for c in failing(report, "file-digest")] == [first.name]


def test_a_binding_vouches_for_nothing_unless_every_check_passed(model):
    from mbom.hashing import hash_tree
    from mbom.verify.binding import IN_TOTO, MBOM, ModelOnDisk, bind

    on_disk = ModelOnDisk(tree=hash_tree(model, cache=False, ignore_file=False))
    whole = bind(statement_for(model, sorted(MODEL)), IN_TOTO, on_disk, bundle="b")
    assert whole.passed and whole.whole and set(whole.covered) == set(MODEL)
    part = bind(statement_for(model, ["config.json"]), IN_TOTO, on_disk, bundle="b")
    assert part.passed and not part.whole and part.covered == ("config.json",)
    wrong = statement_for(model, sorted(MODEL), extra={"config.json": {"sha512": "00" * 64}})
    for kind in (IN_TOTO, MBOM):
        bad = bind(wrong, kind, on_disk, bundle="b")
        assert not bad.passed and bad.covered == () and not bad.whole


def test_another_spelling_of_sha256_is_checked_too(signed: Signed, model, tmp_path):
    extra = {"config.json": {"SHA-256": hashlib.sha256(b"evil").hexdigest()}}
    bundle = sign(statement_for(model, sorted(MODEL), extra=extra), signed.key, tmp_path / "s")
    report = run(model, [bundle], [signed.pub])
    (check,) = failing(report, "file-digest")
    assert check.path == "config.json" and "SHA-256" in check.message
