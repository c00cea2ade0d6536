"""What :func:`mbom.verify.binding.bind` reports for OMS signatures, check by check.

model_signing's own rules (test_oms_rules.py shows mbom and model_signing agree on signed
trees); here the binding is called in-process on real files and every check it returns is
compared: what the default walk left out is walked again, links and special files anywhere
are refused and named from PATH, the signature and the signer's ignore paths are left out,
and a PATH that is no regular file is a finding, never a crash.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from mbom.attest.oms import OMS_PREDICATE_TYPE, model_manifest
from mbom.attest.statement import Statement
from mbom.verify.binding import OMS, Binding, ModelOnDisk, bind
from mbom.verify.checks import fail, passed
from tests.verify.conftest import MODEL, write_tree
from tests.verify.test_binding_checks import B, on_disk, sha256


@pytest.fixture
def model(tmp_path) -> Path:
    return write_tree(tmp_path / "model", MODEL)


def oms(path: Path, ignore=(), signature=None) -> Statement:
    return model_manifest(path, ignore_paths=ignore, signature_path=signature).statement()


def test_an_oms_signature_covers_what_it_signs(model):
    binding = bind(oms(model), OMS, on_disk(model), bundle=B)
    assert binding == Binding(
        (passed("files", f"{len(MODEL)} model files match", bundle=B),),
        tuple(sorted(MODEL, key=lambda n: n.split("/"))),
        True,
    )


def test_an_oms_signature_of_one_file(model):
    path = model / "config.json"
    binding = bind(oms(path), OMS, on_disk(path), bundle=B)
    assert binding == Binding(
        (passed("files", "1 model files match", bundle=B),), ("config.json",), True
    )
    path.write_text("{}")
    changed = bind(oms(model / "model.safetensors"), OMS, on_disk(path), bundle=B)
    assert [(c.id, c.path) for c in changed.checks] == [("file-digest", ".")]
    assert changed.covered == () and not changed.whole


def test_an_oms_signature_hashes_what_the_default_walk_skips(model):
    write_tree(model, {"x.cdx.json": b"{}", "logs/a.cdx.json": b"{}"})
    (model / "sig").write_text("{}")
    statement = oms(model, signature=model / "sig")
    disk = on_disk(model, inside=("sig",))
    assert {"x.cdx.json", "logs/a.cdx.json"} <= set(disk.tree.ignored)
    binding = bind(statement, OMS, disk, bundle=str(model / "sig"))
    assert binding.passed and binding.whole
    assert set(binding.covered) == set(MODEL)  # listed and verified, but never handed out
    (model / "x.cdx.json").write_text('{"changed": 1}')
    changed = bind(statement, OMS, on_disk(model, inside=("sig",)), bundle=str(model / "sig"))
    assert [(c.id, c.path) for c in changed.checks] == [("file-digest", "x.cdx.json")]


def test_an_oms_signature_leaves_out_its_ignore_paths(model):
    write_tree(model, {"notes.cdx.json": b"{}", "logs/run.txt": b"1"})
    statement = oms(model, ignore=("notes.cdx.json", "logs"))
    (model / "notes.cdx.json").write_text("changed")
    (model / "logs" / "run.txt").write_text("changed")
    (model / "logs" / "new.txt").write_text("new")
    binding = bind(statement, OMS, on_disk(model), bundle=B)
    assert binding.passed and binding.whole, binding.checks
    assert set(binding.covered) == set(MODEL)
    unsigned = bind(oms(model), OMS, on_disk(model), bundle=B)
    assert unsigned.passed
    write_tree(model, {"more.cdx.json": b"{}"})
    extra = bind(statement, OMS, on_disk(model), bundle=B)
    assert [(c.id, c.path) for c in extra.checks] == [("extra-file", "more.cdx.json")]


def test_an_oms_signature_refuses_a_link_the_default_walk_skips(model):
    statement = oms(model)
    os.symlink("config.json", model / "link.cdx.json")
    binding = bind(statement, OMS, on_disk(model), bundle=B)
    (check,) = binding.checks
    assert (check.id, check.status, check.bundle) == ("symlink", "fail", B)
    assert "link.cdx.json" in check.message
    assert binding.covered == () and not binding.whole


def test_an_oms_signature_refuses_a_link_in_an_ignored_directory(model):
    write_tree(model, {"cache/x": b"x", ".mbomignore": b"cache/\n"})
    statement = oms(model, ignore=("cache",))
    os.symlink("x", model / "cache" / "link")
    disk = on_disk(model, ignore_file=True)
    assert "cache/" in disk.tree.ignored
    binding = bind(statement, OMS, disk, bundle=B)
    assert [(c.id, c.status) for c in binding.checks] == [("symlink", "fail")]
    assert "cache/link" in binding.checks[0].message


def test_an_oms_signature_walks_an_ignored_directory(model):
    added = {"tmpX/x": b"x", "tmpX/y.cdx.json": b"{}", "tmpX/skip/y": b"y"}
    write_tree(model, {**added, ".mbomignore": b"tmpX/\n"})
    statement = oms(model, ignore=("tmpX/skip",))
    disk = on_disk(model, ignore_file=True)
    assert "tmpX/" in disk.tree.ignored
    binding = bind(statement, OMS, disk, bundle=B)
    assert binding.passed and binding.whole, binding.checks
    assert set(binding.covered) == {*MODEL, ".mbomignore"}  # never what mbom's walk left out
    for name in added:
        (model / name).write_text("changed")
    changed = bind(statement, OMS, on_disk(model, ignore_file=True), bundle=B)
    assert [(c.id, c.path) for c in changed.checks] == [
        ("file-digest", "tmpX/x"),
        ("file-digest", "tmpX/y.cdx.json"),
    ]


def test_an_oms_signature_refuses_a_bom_named_link_in_an_ignored_directory(model):
    write_tree(model, {"cache/x": b"x", ".mbomignore": b"cache/\n"})
    statement = oms(model, ignore=("cache",))
    os.symlink("x", model / "cache" / "link.cdx.json")  # the default walk would skip it
    binding = bind(statement, OMS, on_disk(model, ignore_file=True), bundle=B)
    assert [(c.id, c.status) for c in binding.checks] == [("symlink", "fail")]
    assert "cache/link.cdx.json" in binding.checks[0].message


def test_an_oms_signature_names_the_first_link_in_path_order(model):
    statement = oms(model)
    os.symlink("config.json", model / "z-link")
    os.symlink("config.json", model / "a.cdx.json")  # left out by the walk, added back
    (check,) = bind(statement, OMS, on_disk(model), bundle=B).checks
    assert check.id == "symlink" and "'a.cdx.json'" in check.message


def test_an_oms_signature_of_a_path_that_is_no_regular_file(signed, tmp_path):
    """A FIFO where the signed file was: a full report (exit 1), never an internal error."""
    from mbom.attest import load_signing_key, write_bundle
    from mbom.attest.oms import sign_model
    from mbom.verify.pipeline import VerifyRequest, verify

    weights = write_tree(tmp_path, {"weights": b"w"}) / "weights"
    bundle = tmp_path / "weights.sig"
    write_bundle(sign_model(weights, keys=[load_signing_key(signed.key)]), bundle)
    statement = oms(weights)
    weights.unlink()
    os.mkfifo(weights)
    binding = bind(statement, OMS, on_disk(weights), bundle=B)
    assert [(c.id, c.path) for c in binding.checks] == [("missing-file", ".")]
    assert binding.covered == () and not binding.whole
    report = verify(
        VerifyRequest(path=str(weights), bundles=(str(bundle),), keys=(str(signed.pub),))
    )
    assert report.exit_code == 1
    assert {"special-file", "missing-file"} <= {c.id for c in report.failures()}


def test_an_oms_signature_refuses_a_fifo_the_walk_left_out(model):
    write_tree(model, {".mbomignore": b"pipe\n"})
    statement = oms(model)
    os.mkfifo(model / "pipe")
    disk = on_disk(model, ignore_file=True)
    assert "pipe" in disk.tree.ignored
    binding = bind(statement, OMS, disk, bundle=B)
    assert binding.checks == (
        fail(
            "unreadable-file",
            "pipe: not a regular file, directory or symbolic link (model_signing refuses it)",
            path="pipe",
            bundle=B,
        ),
    )
    assert binding.covered == () and not binding.whole


def test_an_oms_signature_fails_a_path_gone_from_disk(model):
    statement = oms(model)
    disk = on_disk(model)
    gone = ModelOnDisk(tree=replace(disk.tree, ignored=("gone.cdx.json",)))
    binding = bind(statement, OMS, gone, bundle=B)
    path = os.path.join(str(model), "gone.cdx.json")
    assert binding.checks == (
        fail(
            "unreadable-file",
            f"{path}: No such file or directory",
            path="gone.cdx.json",
            bundle=B,
        ),
    )


def test_a_malformed_oms_statement_fails_naming_the_check(model):
    good = oms(model)
    broken = Statement(good.subjects, OMS_PREDICATE_TYPE, {"resources": "nope"})
    binding = bind(broken, OMS, on_disk(model), bundle=B)
    (check,) = binding.checks
    assert (check.id, check.status, check.path, check.bundle) == ("statement", "fail", None, B)
    assert check.message.startswith("OMS predicate is malformed")
    resources = [*good.predicate["resources"], good.predicate["resources"][0]]
    twice = Statement(good.subjects, OMS_PREDICATE_TYPE, {**good.predicate, "resources": resources})
    (dup,) = bind(twice, OMS, on_disk(model), bundle=B).checks
    assert (dup.id, dup.path, dup.bundle) == ("duplicate-subject", resources[0]["name"], B)


def test_an_oms_statement_mbom_cannot_rehash_fails(model):
    good = oms(model)
    serialization = {**good.predicate["serialization"], "method": "shards"}
    shards = Statement(
        good.subjects, OMS_PREDICATE_TYPE, {**good.predicate, "serialization": serialization}
    )
    binding = bind(shards, OMS, on_disk(model), bundle=B)
    (check,) = binding.checks
    assert (check.id, check.status, check.bundle) == ("statement", "fail", B)
    assert "unsupported OMS serialization" in check.message
    assert binding.covered == () and not binding.whole


@pytest.mark.parametrize("ignore", [("cache",), ()])
def test_an_oms_signature_names_a_link_out_of_an_ignored_directory_from_path(model, ignore):
    """The link leaves ``cache/`` (walked on its own): the failure names it from PATH."""
    write_tree(model, {"cache/x": b"x", ".mbomignore": b"cache/\n"})
    statement = oms(model, ignore=ignore)
    os.symlink("../config.json", model / "cache" / "link")
    binding = bind(statement, OMS, on_disk(model, ignore_file=True), bundle=B)
    assert binding == Binding(
        (
            fail(
                "symlink",
                "cache/link: symbolic link to '../config.json' leaves the root; refusing",
                path="cache/link",
                bundle=B,
            ),
        )
    )


@pytest.mark.parametrize("name", ["sig", "model.sigstore.json"])
def test_an_oms_signature_moved_into_the_model_is_left_out(model, name):
    """Signed beside the model, then copied into it: model_signing leaves it out too."""
    statement = oms(model)
    (model / name).write_text("{}")
    binding = bind(statement, OMS, on_disk(model, inside=(name,)), bundle=str(model / name))
    assert binding.passed and binding.whole, binding.checks
    assert set(binding.covered) == set(MODEL)


def test_ignored_paths_are_joined_component_by_component(model):
    name = "my dirXX/XX notes.cdx.json"  # a space, and "XX/XX" across the separator
    write_tree(model, {name: b"{}"})
    statement = oms(model)
    assert name in on_disk(model).tree.ignored
    (model / name).write_text("changed")
    binding = bind(statement, OMS, on_disk(model), bundle=B)
    assert [(c.id, c.path) for c in binding.checks] == [("file-digest", name)]


def test_an_ignored_directory_is_hashed_without_the_users_cache(model, tmp_path, monkeypatch):
    """Verification never reads the hash cache: a poisoned entry cannot hide a change."""
    from mbom.hashing._cache import CACHE_ENV, HashCache

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    write_tree(model, {"tmpX/x": b"x", ".mbomignore": b"tmpX/\n"})
    statement = oms(model)
    path = model / "tmpX" / "x"
    path.write_bytes(b"y")
    info = os.stat(path)
    identity = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)
    cache = HashCache()  # what anyone who can write the user's cache directory could store
    cache.store("sha256", [(os.path.abspath(path), identity, sha256(b"x"))], 2**62)
    cache.close()
    binding = bind(statement, OMS, on_disk(model, ignore_file=True), bundle=B)
    assert [(c.id, c.path) for c in binding.checks] == [("file-digest", "tmpX/x")]


def test_a_link_under_an_oms_ignore_path_inside_an_ignored_directory_is_refused(model):
    write_tree(model, {"tmpX/x": b"x", "tmpX/skip/y": b"y", ".mbomignore": b"tmpX/\n"})
    statement = oms(model, ignore=("tmpX/skip",))
    os.symlink("y", model / "tmpX" / "skip" / "link")
    binding = bind(statement, OMS, on_disk(model, ignore_file=True), bundle=B)
    assert [(c.id, c.status) for c in binding.checks] == [("symlink", "fail")]
    assert "tmpX/skip/link" in binding.checks[0].message
