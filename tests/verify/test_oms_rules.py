"""OMS signatures are checked with model_signing's own ignore rules, nothing more.

mbom's default walk skips ``.hg/``, ``.svn/``, ``.mbom/``, ``*.cdx.json`` ... at any depth;
model_signing skips only the top-level ``.git``, ``.gitattributes``, ``.github``,
``.gitignore``, its recorded ignore paths and the signature. Each tree below is signed by
model_signing itself (library API), tampered with, and verified by both: the verdicts agree.
Then every malformed-statement path of the OMS binding is exercised with a signed bundle.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from mbom.attest import load_signing_key, write_bundle
from mbom.attest.oms import OMS_PREDICATE_TYPE, oms_ignored
from mbom.attest.signing import sign_statement
from mbom.attest.statement import Statement, Subject
from mbom.errors import InputError
from mbom.verify.pipeline import VerifyRequest, verify
from mbom.verify.serving import verified_model
from tests.verify.conftest import MODEL, Signed, run_mbom, write_tree

ADDED = {
    "nothing": {},
    "hg": {".hg/store/evil.py": b"x"},
    "svn": {".svn/entries": b"x"},
    "mbom dir": {".mbom/cache.py": b"x"},
    "cdx json": {"x.cdx.json": b"{}"},
    "cdx manifest": {"x.cdx.manifest.jsonl": b"{}"},
    "nested sigstore": {"tokenizer/y.sigstore.json": b"{}"},
    "gitignore": {".gitignore": b"*.tmp\n"},
    "gitattributes": {".gitattributes": b"* -text\n"},
    "git dir": {".git/config": b"[core]\n", ".git/HEAD": b"ref: refs/heads/main\n"},
    "github dir": {".github/workflows/ci.yml": b"on: push\n"},
    "nested gitignore": {"tokenizer/.gitignore": b"x\n"},
    "nested git dir": {"tokenizer/.git/config": b"[core]\n"},
    "gitignore lookalike": {".gitignore2": b"x"},
    "recorded ignore": {"logs/run.txt": b"step 1\n"},
    "under recorded ignore": {"logs/deep/run.py": b"x"},
    "recorded ignore skipped by default": {"notes.cdx.json": b"{}"},
    "recorded ignore inside hg": {".hg/cache/x": b"x"},
    "beside a recorded ignore inside hg": {".hg/cache/x": b"x", ".hg/y": b"y"},
}
#: what the signer told model_signing to leave out (recorded in the manifest's ignore_paths)
SIGN_IGNORE = ("logs", "notes.cdx.json", ".hg/cache")


def _ms_sign(model: Path, pem: Path, signature: Path, ignore=()) -> None:
    from model_signing import hashing, signing

    config = hashing.Config().set_ignored_paths(paths=list(ignore), ignore_git_paths=True)
    signing.Config().use_elliptic_key_signer(private_key=pem).set_hashing_config(config).sign(
        model, signature
    )


def _ms_verdict(model: Path, pub: Path, signature: Path, ignore=()) -> str | None:
    """model_signing's own verdict (library API, as its CLI calls it): None or its error."""
    from model_signing import hashing, verifying

    config = hashing.Config().set_ignored_paths(paths=list(ignore), ignore_git_paths=True)
    try:
        verifying.Config().use_elliptic_key_verifier(public_key=pub).set_hashing_config(
            config
        ).verify(model, signature)
    except ValueError as exc:
        return str(exc)
    return None


def _ms_verifies(model: Path, pub: Path, signature: Path, ignore=()) -> bool:
    return _ms_verdict(model, pub, signature, ignore) is None


def _mbom(model: Path, signature: Path, pub: Path):
    return verify(VerifyRequest(path=str(model), bundles=(str(signature),), keys=(str(pub),)))


@pytest.fixture
def model(tmp_path) -> Path:
    return write_tree(tmp_path / "model", MODEL)


@pytest.mark.parametrize("case", sorted(ADDED))
def test_mbom_and_model_signing_agree(signed: Signed, model, tmp_path, case):
    signature = tmp_path / "model.sig"
    _ms_sign(model, signed.key, signature, ignore=[model / p for p in SIGN_IGNORE])
    write_tree(model, ADDED[case])
    refusal = _ms_verdict(model, signed.pub, signature)
    report = _mbom(model, signature, signed.pub)
    assert report.verified == (refusal is None), (case, [c.as_json() for c in report.failures()])
    if refusal is not None:  # the same files, named by both
        extra = {c.path for c in report.failures() if c.id == "extra-file"}
        assert extra and extra <= set(ADDED[case])
        named = re.search(r"Extra files found in model 'model': (.*?)[\"']", refusal)
        assert named is not None and named.group(1) == ", ".join(sorted(extra))
    else:
        assert not set(ADDED[case]) & set(report.files)  # ignored: never handed out
        assert set(report.files) == set(MODEL)


@pytest.mark.parametrize(
    "where", [".git/link", "tokenizer/.hg/link", ".github/link", "link.txt", "link.cdx.json"]
)
def test_a_symlink_anywhere_is_refused_by_both(signed: Signed, model, tmp_path, where):
    signature = tmp_path / "model.sig"
    _ms_sign(model, signed.key, signature)
    link = model / where
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink("../config.json" if "/" in where else "config.json", link)
    assert not _ms_verifies(model, signed.pub, signature)
    report = _mbom(model, signature, signed.pub)
    assert report.exit_code == 1
    assert [c.id for c in report.failures()][:1] == ["symlink"]


@pytest.mark.parametrize("where", [".hg/pipe", ".git/pipe", "pipe.cdx.json"])
def test_a_fifo_skipped_by_default_is_refused_by_both(signed: Signed, model, tmp_path, where):
    signature = tmp_path / "model.sig"
    _ms_sign(model, signed.key, signature)
    (model / where).parent.mkdir(exist_ok=True)
    os.mkfifo(model / where)
    assert not _ms_verifies(model, signed.pub, signature)
    report = _mbom(model, signature, signed.pub)
    assert report.exit_code == 1
    # The walk reports the FIFO once per run (special-file); the OMS binding refuses it too.
    assert ("special-file", where) in {(c.id, c.path) for c in report.failures()}


def test_the_signature_inside_the_model_is_left_out(signed: Signed, model, tmp_path):
    signature = model / "model.sig"
    _ms_sign(model, signed.key, signature, ignore=[signature])
    assert _ms_verifies(model, signed.pub, signature, ignore=[signature])
    assert _mbom(model, signature, signed.pub).verified
    shutil.copy(signed.bundle, model / "bom.cdx.json.sigstore.json")  # another bundle: extra
    assert not _ms_verifies(model, signed.pub, signature, ignore=[signature])
    report = _mbom(model, signature, signed.pub)
    assert {c.path for c in report.failures()} >= {"bom.cdx.json.sigstore.json"}


def test_a_file_added_under_hg_fails_the_cli(signed: Signed, model, tmp_path):
    signature = tmp_path / "model.sig"
    _ms_sign(model, signed.key, signature)
    write_tree(model, {".hg/hgrc": b"[hooks]\n"})
    result = run_mbom(
        "verify", model, "--bundle", signature, "--key", signed.pub, "--format", "json"
    )
    assert result.returncode == 1, result.stdout
    failures = [c for c in json.loads(result.stdout)["checks"] if c["status"] == "fail"]
    assert [(c["id"], c["path"]) for c in failures if c["id"] == "extra-file"] == [
        ("extra-file", ".hg/hgrc")
    ]


def test_a_listed_file_the_default_walk_skips_is_verified(signed: Signed, model, tmp_path):
    write_tree(model, {"card.cdx.json": b'{"bomFormat": "CycloneDX"}'})
    signature = tmp_path / "model.sig"
    _ms_sign(model, signed.key, signature)
    assert _mbom(model, signature, signed.pub).verified
    (model / "card.cdx.json").write_bytes(b"{}")
    report = _mbom(model, signature, signed.pub)
    assert [c.path for c in report.failures() if c.id == "file-digest"] == ["card.cdx.json"]


def test_verified_model_hands_out_only_signed_files(signed: Signed, model, tmp_path):
    signature = tmp_path / "model.sig"
    _ms_sign(model, signed.key, signature)
    write_tree(model, {".gitignore": b"x\n", ".git/HEAD": b"ref\n"})
    served = verified_model(model, bundles=[signature], keys=[signed.pub])
    assert set(served.files) == set(MODEL)
    with pytest.raises(InputError, match="not a verified file"):
        served.file(".gitignore")


@pytest.mark.parametrize(
    ("name", "ignore", "expected"),
    [
        (".git/config", [".git"], True),
        (".git", [".git/"], True),
        ("a/b", ["./a"], True),
        ("a/b", ["a//"], True),
        ("ab", ["a"], False),
        ("a/b", ["."], True),
        ("a/b", [""], True),
        ("a/b", ["/a"], False),
        ("a/b", ["../model/a"], False),
        ("sub/.git/x", [".git"], False),
    ],
)
def test_ignore_paths_compare_like_pathlib(name, ignore, expected):
    assert oms_ignored(name, ignore) is expected


# --- malformed OMS statements: each is a FAIL, never "no checks" ----------------------------


def _oms_statement(model: Path, **changes) -> dict:
    resources = [
        {
            "name": n,
            "algorithm": "sha256",
            "digest": hashlib.sha256((model / n).read_bytes()).hexdigest(),
        }
        for n in sorted(MODEL, key=lambda n: n.split("/"))
    ]
    root = hashlib.sha256(b"".join(bytes.fromhex(r["digest"]) for r in resources)).hexdigest()
    predicate = {
        "serialization": {
            "method": "files",
            "hash_type": "sha256",
            "allow_symlinks": False,
            "ignore_paths": [".git", ".gitattributes", ".github", ".gitignore"],
        },
        "resources": resources,
    }
    subjects = [{"name": "model", "digest": {"sha256": root}}]
    for key, value in changes.items():
        if key == "subjects":
            subjects = value(subjects)
        else:
            predicate = value(predicate)
    return {"subjects": subjects, "predicate": predicate}


def _sign_oms(parts: dict, pem: Path, out: Path) -> Path:
    subjects = tuple(Subject(s["name"], s["digest"]) for s in parts["subjects"])
    statement = Statement(subjects, OMS_PREDICATE_TYPE, parts["predicate"])
    return write_bundle(sign_statement(statement, keys=[load_signing_key(pem)]), out)


def _set(path, value):
    def change(predicate):
        target = predicate
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value(target[path[-1]]) if callable(value) else value
        return predicate

    return change


MALFORMED = {
    "resources not a list": ({"p": _set(["resources"], {"a": 1})}, "statement"),
    "resource not an object": ({"p": _set(["resources"], lambda r: [*r, "x"])}, "statement"),
    "resource without digest": (
        {"p": _set(["resources"], lambda r: [*r, {"name": "x", "algorithm": "sha256"}])},
        "statement",
    ),
    "serialization missing": ({"p": lambda p: {"resources": p["resources"]}}, "statement"),
    "serialization a string": ({"p": _set(["serialization"], "files")}, "statement"),
    "ignore_paths a string": ({"p": _set(["serialization", "ignore_paths"], ".git")}, "statement"),
    "digest not hex": (
        {"p": _set(["resources"], lambda r: [{**r[0], "digest": "zz" * 32}, *r[1:]])},
        "statement",
    ),
    "wrong root digest": ({"s": lambda s: [{**s[0], "digest": {"sha256": "0" * 64}}]}, "statement"),
    "two subjects": (
        {"s": lambda s: [s[0], {"name": "x", "digest": {"sha256": "1" * 64}}]},
        "statement",
    ),
    "shard serialization": ({"p": _set(["serialization", "method"], "shards")}, "statement"),
    "blake2 resources": (
        {"p": _set(["resources"], lambda r: [{**x, "algorithm": "blake2"} for x in r])},
        "statement",
    ),
    "unhashable algorithm": (
        {"p": _set(["resources"], lambda r: [{**r[0], "algorithm": ["sha256"]}, *r[1:]])},
        "statement",
    ),
    "symlinks followed": ({"p": _set(["serialization", "allow_symlinks"], True)}, "statement"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_oms_statement_fails(signed: Signed, model, tmp_path, case):
    changes, check_id = MALFORMED[case]
    kwargs = {}
    if "p" in changes:
        kwargs["predicate"] = changes["p"]
    if "s" in changes:
        kwargs["subjects"] = changes["s"]
    parts = _oms_statement(model, **kwargs)
    bundle = _sign_oms(parts, signed.key, tmp_path / "bad.sig")
    report = _mbom(model, bundle, signed.pub)
    assert report.exit_code == 1
    assert check_id in [c.id for c in report.failures() if c.bundle == str(bundle)]
    assert report.attestations[0]["verified"] is False and report.files == ()


def test_a_well_formed_oms_statement_verifies(signed: Signed, model, tmp_path):
    bundle = _sign_oms(_oms_statement(model), signed.key, tmp_path / "good.sig")
    assert _mbom(model, bundle, signed.pub).verified


def test_a_duplicate_oms_resource_fails_naming_it(signed: Signed, model, tmp_path):
    def twice(predicate):
        resources = predicate["resources"]
        evil = {"name": "./config.json", "algorithm": "sha256", "digest": "ab" * 32}
        predicate["resources"] = [*resources, evil]
        return predicate

    parts = _oms_statement(model, predicate=twice)
    root = hashlib.sha256(
        b"".join(bytes.fromhex(r["digest"]) for r in parts["predicate"]["resources"])
    ).hexdigest()
    parts["subjects"] = [{"name": "model", "digest": {"sha256": root}}]
    bundle = _sign_oms(parts, signed.key, tmp_path / "dup.sig")
    report = _mbom(model, bundle, signed.pub)
    assert [(c.id, c.path) for c in report.failures()][:1] == [
        ("duplicate-subject", "./config.json")
    ]


def test_an_unsigned_payload_is_not_trusted(signed: Signed, model, tmp_path):
    bundle = _sign_oms(_oms_statement(model), signed.key, tmp_path / "good.sig")
    document = json.loads(bundle.read_text())
    statement = json.loads(base64.b64decode(document["dsseEnvelope"]["payload"]))
    statement["predicate"]["serialization"]["ignore_paths"].append("tokenizer")
    document["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    bundle.write_text(json.dumps(document))
    assert _mbom(model, bundle, signed.pub).failures()[0].id == "signature"
