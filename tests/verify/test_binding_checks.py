"""What :func:`mbom.verify.binding.bind` reports, check by check, for real files on disk.

The CLI tests (test_binding.py, test_oms_rules.py) show each attack fails; these call the
binding in-process and compare every check it returns (id, status, message, path, digests,
bundle) and what it covers, so a changed verdict, a lost path or a wrong count in a message
is seen. The bytes are real files hashed by mbom; signatures are not needed here (the
binding judges a statement whose signature the pipeline already checked).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path

import pytest

from mbom.attest.oms import OMS_PREDICATE_TYPE
from mbom.attest.statement import Statement, Subject
from mbom.bom.subjects import ModelFile
from mbom.hashing import hash_tree
from mbom.verify.binding import (
    IN_TOTO,
    MBOM,
    MESSAGE,
    OMS,
    Binding,
    ModelOnDisk,
    attestation_kind,
    bind,
    bind_message,
    describe_kind,
    duplicate_subjects,
)
from mbom.verify.checks import fail, passed, skipped
from mbom.verify.files import MAX_LISTED
from tests.verify.conftest import MODEL, write_tree

SLSA = "https://slsa.dev/provenance/v1"
CDX = "https://cyclonedx.org/bom"
B = "b.sigstore.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def subjects(names, files=MODEL) -> tuple[Subject, ...]:
    return tuple(Subject(name, {"sha256": sha256(files[name])}) for name in names)


def on_disk(path: Path, inside=(), ignore_file: bool = False) -> ModelOnDisk:
    tree = hash_tree(path, cache=False, ignore_file=ignore_file, report_anomalies=True)
    return ModelOnDisk(tree=tree, inside=tuple(inside))


@pytest.fixture
def model(tmp_path) -> Path:
    return write_tree(tmp_path / "model", MODEL)


# --- kinds ---------------------------------------------------------------------------------


def test_attestation_kinds():
    assert attestation_kind(None) == MESSAGE == "message"
    assert attestation_kind(Statement((), CDX, {})) == MBOM == "mbom"
    assert attestation_kind(Statement((), OMS_PREDICATE_TYPE, {})) == OMS == "oms"
    assert attestation_kind(Statement((), SLSA, {})) == IN_TOTO == "in-toto"


@pytest.mark.parametrize(
    ("kind", "predicate_type", "text"),
    [
        (MBOM, CDX, f"MBOM ({CDX})"),
        (OMS, OMS_PREDICATE_TYPE, f"OMS model signature ({OMS_PREDICATE_TYPE})"),
        (MESSAGE, None, "message signature"),
        (IN_TOTO, SLSA, f"SLSA provenance ({SLSA})"),
        (IN_TOTO, "https://example.com/x", "in-toto attestation (https://example.com/x)"),
        (IN_TOTO, None, "in-toto attestation"),
        (IN_TOTO, "", "in-toto attestation"),
        (MBOM, SLSA, f"MBOM ({SLSA})"),  # only an in-toto kind is ever called SLSA
    ],
)
def test_describe_kind(kind, predicate_type, text):
    assert describe_kind(kind, predicate_type) == text


# --- message signatures and the Binding value ----------------------------------------------


def test_a_message_signature_binds_nothing_through_bind(model):
    assert bind(None, MESSAGE, on_disk(model), bundle=B) == Binding(checks=())


def test_bind_message_covers_one_verified_file(model):
    path = model / "model.safetensors"
    assert bind_message(on_disk(path), True) == Binding((), ("model.safetensors",), True)
    assert bind_message(on_disk(path), False) == Binding(())
    assert bind_message(on_disk(model), True) == Binding(())  # a directory: no message digest


def test_bind_message_of_a_path_that_is_no_regular_file(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    tree = on_disk(tmp_path / "pipe")
    assert tree.tree.files == () and tree.sha256() is None
    assert bind_message(tree, True) == Binding(())


def test_binding_passed_and_defaults():
    assert Binding(()).passed and Binding(()).covered == () and Binding(()).whole is False
    assert Binding((passed("x", "ok"), skipped("y", "no"))).passed
    assert not Binding((passed("x", "ok"), fail("y", "no"))).passed


def test_model_on_disk_leaves_out_bundles_inside(model):
    (model / "b.sigstore.json").write_text("{}")  # ignored by default: still not judged
    (model / "sig").write_text("{}")
    disk = on_disk(model, inside=("sig",))
    assert {f.path for f in disk.files} == set(MODEL)
    assert "sig" in {f.path for f in disk.tree.files}
    assert disk.sha256() is None
    assert on_disk(model / "config.json").sha256() == sha256(MODEL["config.json"])


# --- duplicate subjects and subjects without sha256 -----------------------------------------


def test_duplicate_subjects_one_check_per_name_sorted():
    checks = duplicate_subjects(["b", "a", "b", "c", "a", "a"], B)
    assert checks == [
        fail(
            "duplicate-subject",
            "subject 'a' is listed 3 times with possibly different digests",
            path="a",
            bundle=B,
        ),
        fail(
            "duplicate-subject",
            "subject 'b' is listed 2 times with possibly different digests",
            path="b",
            bundle=B,
        ),
    ]
    assert duplicate_subjects(["a", "b"], B) == []


def test_duplicate_subjects_are_listed_up_to_the_limit():
    names = [f"f{i:04d}" for i in range(MAX_LISTED + 1)]
    checks = duplicate_subjects(names + names, B)
    assert len(checks) == MAX_LISTED and checks[-1].path == names[MAX_LISTED - 1]


@pytest.mark.parametrize("kind", [IN_TOTO, MBOM])
def test_subjects_without_sha256_fail_up_to_the_limit(model, kind):
    many = tuple(Subject(f"f{i:04d}", {"sha512": "00" * 64}) for i in range(MAX_LISTED + 1))
    binding = bind(Statement(many, SLSA, {}), kind, on_disk(model), bundle=B)
    assert len(binding.checks) == MAX_LISTED
    assert binding.checks[0] == fail(
        "subjects", "subject 'f0000' has no sha256", path="f0000", bundle=B
    )
    assert binding.covered == () and not binding.whole


@pytest.mark.parametrize("kind", [IN_TOTO, MBOM])
def test_duplicates_and_missing_sha256_are_reported_together(model, kind):
    listed = (*subjects(sorted(MODEL)), Subject("config.json", {"sha512": "00" * 64}))
    binding = bind(Statement(listed, SLSA, {}), kind, on_disk(model), bundle=B)
    assert binding == Binding(
        (
            fail(
                "duplicate-subject",
                "subject 'config.json' is listed 2 times with possibly different digests",
                path="config.json",
                bundle=B,
            ),
            fail("subjects", "subject 'config.json' has no sha256", path="config.json", bundle=B),
        )
    )


# --- MBOM statements -------------------------------------------------------------------------


def _bom_files(model: Path, **changes) -> list[ModelFile]:
    files = []
    for name, data in sorted(MODEL.items()):
        item = ModelFile(path=name, size=len(data), digests={"sha256": sha256(data)})
        files.append(replace(item, **changes.get(name, {})))
    return files


def test_an_mbom_binding_covers_the_whole_model(model):
    statement = Statement(subjects(sorted(MODEL)), CDX, {})
    binding = bind(statement, MBOM, on_disk(model), bundle=B, bom_files=_bom_files(model))
    assert binding == Binding(
        (passed("files", f"{len(MODEL)} model files match", bundle=B),),
        tuple(sorted(MODEL)),
        True,
    )


def test_an_mbom_checks_the_recorded_size(model):
    files = _bom_files(model, **{"config.json": {"size": 3}})
    statement = Statement(subjects(sorted(MODEL)), CDX, {})
    binding = bind(statement, MBOM, on_disk(model), bundle=B, bom_files=files)
    size = len(MODEL["config.json"])
    assert binding.checks == (
        fail(
            "file-size",
            f"model file config.json: size recorded as 3, actual {size}",
            path="config.json",
            expected="3",
            actual=str(size),
            bundle=B,
        ),
    )
    assert binding.covered == () and not binding.whole


def test_an_mbom_checks_the_recorded_link(model):
    (model / "config.json").unlink()
    os.symlink("model.safetensors", model / "config.json")
    link = {"sha256": sha256(b"model.safetensors")}
    digests = {name: {"sha256": sha256(data)} for name, data in MODEL.items()}
    digests["config.json"] = link
    statement = Statement(tuple(Subject(n, digests[n]) for n in sorted(MODEL)), CDX, {})
    files = _bom_files(model, **{"config.json": {"digests": link, "size": 17}})
    binding = bind(statement, MBOM, on_disk(model), bundle=B, bom_files=files)
    (check,) = binding.checks
    assert (check.id, check.path, check.expected) == ("symlink", "config.json", "regular file")
    recorded = _bom_files(
        model, **{"config.json": {"digests": link, "size": 17, "symlink": "model.safetensors"}}
    )
    ok = bind(statement, MBOM, on_disk(model), bundle=B, bom_files=recorded)
    assert ok.passed and ok.whole, ok.checks


def test_an_mbom_checks_the_recorded_mode(model):
    os.chmod(model / "config.json", 0o755)
    statement = Statement(subjects(sorted(MODEL)), CDX, {})
    binding = bind(statement, MBOM, on_disk(model), bundle=B, bom_files=_bom_files(model))
    (check,) = binding.checks
    assert (check.id, check.path, check.expected, check.actual) == (
        "file-mode",
        "config.json",
        "0644",
        "0755",
    )
    recorded = _bom_files(model, **{"config.json": {"mode": "0755"}})
    ok = bind(statement, MBOM, on_disk(model), bundle=B, bom_files=recorded)
    assert ok.passed and ok.whole, ok.checks


def test_an_mbom_leaves_out_recorded_ignore_paths_and_never_covers_them(model):
    write_tree(model, {"logs/run.txt": b"step\n", "notes": b"n"})
    statement = Statement(subjects(sorted(MODEL)), CDX, {})
    disk = on_disk(model)
    binding = bind(statement, MBOM, disk, bundle=B, recorded_ignored=("logs/", "notes"))
    assert binding.passed and binding.whole
    assert binding.covered == tuple(sorted(MODEL))
    loose = bind(statement, MBOM, disk, bundle=B, recorded_ignored=("logs",))  # a file name
    assert [(c.id, c.path) for c in loose.checks] == [
        ("extra-file", "logs/run.txt"),
        ("extra-file", "notes"),
    ]


def test_an_mbom_extra_file_is_named(model):
    (model / "evil.py").write_text("x")
    statement = Statement(subjects(sorted(MODEL)), CDX, {})
    binding = bind(statement, MBOM, on_disk(model), bundle=B)
    assert binding.checks == (
        fail(
            "extra-file",
            "model file evil.py: not in the attestation",
            path="evil.py",
            actual=sha256(b"x"),
            bundle=B,
        ),
    )
    assert binding.covered == () and not binding.whole


def test_an_mbom_of_one_file_names_it_as_the_bom_does(model):
    path = model / "model.safetensors"
    data = MODEL["model.safetensors"]
    digest = {"sha256": sha256(data), "sha512": hashlib.sha512(data).hexdigest()}
    statement = Statement((Subject("weights", digest),), CDX, {})
    bom = [ModelFile(path="weights", size=len(data), digests={"sha256": sha256(data)})]
    binding = bind(statement, MBOM, on_disk(path), bundle=B, bom_files=bom)
    assert binding == Binding(
        (passed("files", "1 model files match", bundle=B),), ("model.safetensors",), True
    )
    bad = {**digest, "sha512": hashlib.sha512(b"x").hexdigest()}
    wrong = bind(Statement((Subject("weights", bad),), CDX, {}), MBOM, on_disk(path), bundle=B)
    assert [(c.id, c.path, c.expected) for c in wrong.checks if c.failed] == [
        ("file-digest", "model.safetensors", bad["sha512"])
    ]


def test_an_mbom_of_one_file_listing_two_fails(model):
    path = model / "model.safetensors"
    two = Statement(subjects(["model.safetensors", "config.json"]), CDX, {})
    binding = bind(two, MBOM, on_disk(path), bundle=B)
    assert [(c.id, c.path) for c in binding.checks] == [("missing-file", "config.json")]
    assert binding.covered == ()


def test_an_mbom_checks_extra_digests_of_every_subject(model):
    digests = {name: {"sha256": sha256(data)} for name, data in MODEL.items()}
    digests["tokenizer/vocab.txt"]["sha512"] = hashlib.sha512(b"other").hexdigest()
    statement = Statement(tuple(Subject(n, digests[n]) for n in sorted(MODEL)), CDX, {})
    binding = bind(statement, MBOM, on_disk(model), bundle=B)
    assert [(c.id, c.status, c.path, c.bundle) for c in binding.checks] == [
        ("files", "pass", None, B),
        ("file-digest", "fail", "tokenizer/vocab.txt", B),
    ]
    assert binding.covered == ()


def test_an_mbom_of_a_path_that_is_no_regular_file(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    statement = Statement(subjects(["config.json"]), CDX, {})
    binding = bind(statement, MBOM, on_disk(tmp_path / "pipe"), bundle=B)
    assert [(c.id, c.path, c.bundle) for c in binding.checks] == [
        ("missing-file", "config.json", B)
    ]
    assert binding.covered == () and not binding.whole


def test_an_mbom_ignores_bundles_inside_the_model(model):
    (model / "sig").write_text("{}")
    statement = Statement(subjects(sorted(MODEL)), CDX, {})
    binding = bind(statement, MBOM, on_disk(model, inside=("sig",)), bundle="sig")
    assert binding.passed and binding.covered == tuple(sorted(MODEL))


# --- in-toto statements ----------------------------------------------------------------------


def test_a_single_file_statement_names_its_subject(model):
    path = model / "model.safetensors"
    digest = sha256(MODEL["model.safetensors"])
    listed = (Subject("other", {"sha256": "1" * 64}), Subject("weights", {"sha256": digest}))
    binding = bind(Statement(listed, SLSA, {}), IN_TOTO, on_disk(path), bundle=B)
    assert binding == Binding(
        (passed("subject", f"subject 'weights' is the file (sha256 {digest})", bundle=B),),
        ("model.safetensors",),
        True,
    )


def test_a_single_file_statement_without_the_file_names_five_subjects(model):
    path = model / "model.safetensors"
    digest = sha256(MODEL["model.safetensors"])
    listed = tuple(Subject(f"s{i}", {"sha256": "1" * 64}) for i in range(6))
    binding = bind(Statement((*listed, listed[0]), SLSA, {}), IN_TOTO, on_disk(path), bundle=B)
    names = "'s0', 's1', 's2', 's3', 's4'"
    assert binding == Binding(
        (
            fail(
                "duplicate-subject",
                "subject 's0' is listed 2 times with possibly different digests",
                path="s0",
                bundle=B,
            ),
            fail(
                "subject",
                f"no subject of the statement ({names}) has the file's SHA-256",
                actual=digest,
                bundle=B,
            ),
        )
    )


def test_a_single_file_statement_with_a_duplicate_covers_nothing(model):
    path = model / "model.safetensors"
    one = subjects(["model.safetensors"])
    binding = bind(Statement((*one, *one), SLSA, {}), IN_TOTO, on_disk(path), bundle=B)
    assert [(c.id, c.status) for c in binding.checks] == [
        ("duplicate-subject", "fail"),
        ("subject", "pass"),
    ]
    assert binding.covered == () and not binding.whole


def test_a_single_file_statement_checks_its_other_digests(model):
    path = model / "model.safetensors"
    digest = {"sha256": sha256(MODEL["model.safetensors"]), "md5": "00" * 16}
    binding = bind(Statement((Subject("w", digest),), SLSA, {}), IN_TOTO, on_disk(path), bundle=B)
    assert [(c.id, c.status, c.path, c.bundle) for c in binding.checks] == [
        ("subject", "pass", None, B),
        ("file-digest", "fail", "model.safetensors", B),
    ]
    assert binding.covered == ()


def test_a_directory_statement_listing_every_file(model):
    binding = bind(Statement(subjects(sorted(MODEL)), SLSA, {}), IN_TOTO, on_disk(model), bundle=B)
    assert binding == Binding(
        (
            passed("files", f"{len(MODEL)} model files match", bundle=B),
            passed("coverage", "the statement lists every model file", bundle=B),
        ),
        tuple(sorted(MODEL)),
        True,
    )


def test_a_directory_statement_listing_some_files(model):
    (model / "b.sigstore.json").write_text("{}")
    names = ["config.json", "tokenizer/vocab.txt"]
    statement = Statement(subjects(names), SLSA, {})
    binding = bind(statement, IN_TOTO, on_disk(model, inside=("b.sigstore.json",)), bundle=B)
    assert binding == Binding(
        (
            passed("files", "2 model files match", bundle=B),
            skipped(
                "coverage",
                f"the statement lists 2 of {len(MODEL)} model files (not 'README.md'...): "
                "it vouches for those only, never for the model",
                bundle=B,
            ),
        ),
        tuple(names),
        False,
    )


def test_a_directory_statement_with_a_changed_file_covers_nothing(model):
    statement = Statement(subjects(sorted(MODEL)), SLSA, {})
    (model / "config.json").write_text("{}")
    binding = bind(statement, IN_TOTO, on_disk(model), bundle=B)
    assert [(c.id, c.status, c.path) for c in binding.checks] == [
        ("file-digest", "fail", "config.json"),
        ("coverage", "pass", None),
    ]
    assert binding.covered == () and not binding.whole


def test_a_directory_statement_checks_other_digests_of_listed_files(model):
    digests = {"sha256": sha256(MODEL["config.json"]), "sha512": "00" * 64}
    listed = (Subject("config.json", digests), Subject("absent", {"sha256": "2" * 64}))
    binding = bind(Statement(listed, SLSA, {}), IN_TOTO, on_disk(model), bundle=B)
    assert [(c.id, c.path, c.bundle) for c in binding.checks] == [
        ("missing-file", "absent", B),
        ("file-digest", "config.json", B),
        ("coverage", None, B),
    ]
