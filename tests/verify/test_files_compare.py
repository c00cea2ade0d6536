"""In-process tests of mbom.verify.files: every difference between what an attestation lists
and what is on disk is its own failed check, with the exact id, message, path, digests and
bundle a report shows (the gate's contract, docs/verify.md).

The expected side is a real :class:`ModelFile` (what a BOM records) or one without a size
(a bare statement subject); the actual side is a real :class:`FileDigest`, either built from
the hashed bytes or produced by :func:`hash_tree` over real files in ``tmp_path``.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from mbom.bom.subjects import ModelFile
from mbom.hashing import FileDigest, hash_tree
from mbom.hashing._walk import SPECIAL_FILE, SYMLINK_ESCAPE, Anomaly
from mbom.verify.checks import Check, fail, passed
from mbom.verify.files import anomaly_checks, compare_files, under

BUNDLE = "model.sigstore.json"
REGULAR = stat.S_IFREG


def sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def disk(path: str, data: bytes, mode: int | None = REGULAR | 0o644) -> FileDigest:
    """A regular file as the hashing walk reports it."""
    return FileDigest(path, len(data), {"sha256": sha(data)}, None, mode)


def link(path: str, target: str) -> FileDigest:
    """A symbolic link as the hashing walk reports it (digest of the target string)."""
    return FileDigest(path, len(target.encode()), {"sha256": sha(target)}, target, None)


def bom(item: FileDigest, *, mode: str | None = None, size: int | None = -1) -> ModelFile:
    """What a BOM records for ``item`` (``size=None``: a statement subject, no size)."""
    return ModelFile(
        path=item.path,
        size=item.size if size == -1 else size,
        digests={"sha256": item.digests["sha256"]},
        symlink=item.symlink,
        mode=mode,
    )


def subject(item: FileDigest) -> ModelFile:
    return bom(item, size=None)


# --- under ---------------------------------------------------------------------------------


def test_under_matches_the_path_itself_or_inside_a_directory_entry() -> None:
    assert under("a.bin", ["a.bin"])
    assert under("logs/x.log", ["logs/"])
    assert under("logs/", ["logs/"])
    assert under("b/c", ["a/", "b/"])
    assert under("b", ["a", "b"])


def test_under_does_not_match_a_prefix_that_is_not_a_directory_entry() -> None:
    assert not under("logs/x.log", ["logs"])
    assert not under("logsx", ["logs"])
    assert not under("alogs/x", ["logs/"])
    assert not under("x", [])
    assert not under("x", ["y", "z/"])


# --- compare_files: everything matches -------------------------------------------------------


def test_matching_files_give_one_passed_check_counting_the_expected_files() -> None:
    actual = [disk("a.bin", b"a"), disk("b/c.txt", b"c"), link("d", "a.bin")]
    expected = [bom(f) for f in actual]
    assert compare_files(expected, actual, scope="model", bundle=BUNDLE) == [
        passed("files", "3 model files match", bundle=BUNDLE)
    ]
    assert compare_files(expected[:1], actual[:1], scope="dataset d") == [
        passed("files", "1 dataset d files match")
    ]


def test_nothing_expected_and_nothing_on_disk_passes() -> None:
    assert compare_files([], [], scope="model") == [passed("files", "0 model files match")]


def test_hash_tree_output_matches_the_bom_it_was_recorded_in(tmp_path: Path) -> None:
    (tmp_path / "w.bin").write_bytes(b"weights")
    (tmp_path / "run.sh").write_bytes(b"#!/bin/sh\n")
    (tmp_path / "run.sh").chmod(0o755)
    os.symlink("w.bin", tmp_path / "alias.bin")
    tree = hash_tree(tmp_path, report_anomalies=True)
    expected = [
        ModelFile(
            f.path, f.size, dict(f.digests), f.symlink, "0755" if f.path == "run.sh" else None
        )
        for f in tree.files
    ]
    assert compare_files(expected, tree.files, scope="model", bundle=BUNDLE) == [
        passed("files", "3 model files match", bundle=BUNDLE)
    ]


# --- missing, extra, renamed ---------------------------------------------------------------


def test_missing_and_extra_files_are_each_a_failed_check_with_full_digests() -> None:
    gone, kept, new = disk("gone.bin", b"old"), disk("kept", b"k"), disk("new.py", b"evil")
    checks = compare_files([bom(gone), bom(kept)], [kept, new], scope="model", bundle=BUNDLE)
    assert checks == [
        fail(
            "extra-file",
            "model file new.py: not in the attestation",
            path="new.py",
            actual=sha(b"evil"),
            bundle=BUNDLE,
        ),
        fail(
            "missing-file",
            "model file gone.bin: missing",
            path="gone.bin",
            expected=sha(b"old"),
            bundle=BUNDLE,
        ),
    ]


def test_a_file_moved_to_a_new_name_is_reported_as_a_probable_rename() -> None:
    old, new = disk("model.safetensors", b"W"), disk("model.bin", b"W")
    other = disk("zz.txt", b"other")
    checks = compare_files([bom(old)], [new, other], scope="model")
    assert checks == [
        fail(
            "extra-file",
            "model file model.bin: not in the attestation "
            "(same content as missing 'model.safetensors': renamed?)",
            path="model.bin",
            actual=sha(b"W"),
        ),
        fail(
            "extra-file",
            "model file zz.txt: not in the attestation",
            path="zz.txt",
            actual=sha(b"other"),
        ),
        fail(
            "missing-file",
            "model file model.safetensors: missing (renamed to 'model.bin'?)",
            path="model.safetensors",
            expected=sha(b"W"),
        ),
    ]


def test_the_rename_hint_is_only_given_for_equal_content() -> None:
    checks = compare_files(
        [bom(disk("a", b"1")), bom(disk("b", b"2"))], [disk("c", b"2")], scope="model"
    )
    messages = [c.message for c in checks]
    assert messages == [
        "model file c: not in the attestation (same content as missing 'b': renamed?)",
        "model file a: missing",
        "model file b: missing (renamed to 'c'?)",
    ]


def test_a_directory_replaced_by_a_symbolic_link_is_named_as_such() -> None:
    inner = [disk("tok/vocab.txt", b"v"), disk("tok/merges.txt", b"m")]
    swapped, after = link("tok", "/etc"), disk("zzz", b"extra")
    checks = compare_files([bom(f) for f in inner], [swapped, after], scope="model", bundle=BUNDLE)
    assert checks == [
        fail(
            "extra-file",
            "model file zzz: not in the attestation",
            path="zzz",
            actual=sha(b"extra"),
            bundle=BUNDLE,
        ),
        fail(
            "missing-file",
            "model file tok/merges.txt: missing",
            path="tok/merges.txt",
            expected=sha(b"m"),
            bundle=BUNDLE,
        ),
        fail(
            "missing-file",
            "model file tok/vocab.txt: missing",
            path="tok/vocab.txt",
            expected=sha(b"v"),
            bundle=BUNDLE,
        ),
        fail(
            "symlink",
            "model directory tok/: replaced by a symbolic link to '/etc'",
            path="tok",
            expected="directory",
            actual="symlink -> /etc",
            bundle=BUNDLE,
        ),
    ]


def test_a_symlinked_directory_on_real_files_fails(tmp_path: Path) -> None:
    signed = tmp_path / "signed"
    (signed / "tok").mkdir(parents=True)
    (signed / "tok" / "vocab.txt").write_bytes(b"v")
    expected = [bom(f) for f in hash_tree(signed).files]
    (signed / "tok" / "vocab.txt").unlink()
    (signed / "tok").rmdir()
    (signed / "elsewhere").mkdir()
    (signed / "elsewhere" / "vocab.txt").write_bytes(b"v")
    os.symlink("elsewhere", signed / "tok")
    tree = hash_tree(signed, report_anomalies=True)
    checks = compare_files(expected, tree.files, scope="model")
    assert [(c.id, c.path) for c in checks if c.id == "symlink"] == [("symlink", "tok")]


def test_an_extra_link_that_replaces_no_directory_is_an_extra_file() -> None:
    # "tokx" is a link, but only "tok/..." went missing: not the same name plus "/".
    checks = compare_files(
        [bom(disk("tok/v", b"v"))], [link("tokx", "tok/v"), disk("tok", b"f")], scope="model"
    )
    assert [(c.id, c.path) for c in checks] == [
        ("extra-file", "tok"),
        ("extra-file", "tokx"),
        ("missing-file", "tok/v"),
    ]


def test_an_extra_regular_file_in_place_of_a_directory_is_an_extra_file() -> None:
    checks = compare_files([bom(disk("d/x", b"x"))], [disk("d", b"x2")], scope="model")
    assert [(c.id, c.path) for c in checks] == [("extra-file", "d"), ("missing-file", "d/x")]


# --- one file: content, size, links --------------------------------------------------------


def test_changed_content_names_both_full_digests() -> None:
    recorded = bom(disk("model.safetensors", b"good"))
    checks = compare_files([recorded], [disk("model.safetensors", b"evil")], scope="model")
    assert checks == [
        fail(
            "file-digest",
            f"model file model.safetensors: content changed: sha256 expected {sha(b'good')}, "
            f"actual {sha(b'evil')}",
            path="model.safetensors",
            expected=sha(b"good"),
            actual=sha(b"evil"),
        )
    ]


def test_changed_content_against_a_subject_without_size_fails_too() -> None:
    checks = compare_files(
        [subject(disk("w", b"good"))], [disk("w", b"evil")], scope="model", bundle=BUNDLE
    )
    assert [(c.id, c.expected, c.actual, c.bundle) for c in checks] == [
        ("file-digest", sha(b"good"), sha(b"evil"), BUNDLE)
    ]


def test_a_size_that_differs_from_the_record_fails() -> None:
    item = disk("w", b"data")
    recorded = ModelFile("w", 5, {"sha256": sha(b"data")})
    assert compare_files([recorded], [item], scope="model", bundle=BUNDLE) == [
        fail(
            "file-size",
            "model file w: size recorded as 5, actual 4",
            path="w",
            expected="5",
            actual="4",
            bundle=BUNDLE,
        )
    ]


def test_a_recorded_size_of_zero_is_still_checked() -> None:
    recorded = ModelFile("w", 0, {"sha256": sha(b"data")})
    checks = compare_files([recorded], [disk("w", b"data")], scope="model")
    assert [(c.id, c.expected, c.actual) for c in checks] == [("file-size", "0", "4")]


def test_a_subject_that_records_only_a_digest_is_compared_by_digest() -> None:
    # A bare subject object: no size, no symlink, no mode attribute at all.
    bare = SimpleNamespace(path="w", digests={"sha256": sha(b"data")})
    good = compare_files([bare], [disk("w", b"data", REGULAR | 0o755)], scope="model")
    assert good == [passed("files", "1 model files match")]
    bad = compare_files([bare], [disk("w", b"evil")], scope="model")
    assert [(c.id, c.path) for c in bad] == [("file-digest", "w")]


def test_a_file_replaced_by_a_symbolic_link_fails_against_a_bom() -> None:
    recorded = bom(disk("config.json", b"{}"))
    checks = compare_files(
        [recorded], [link("config.json", "/etc/passwd")], scope="model", bundle=BUNDLE
    )
    assert checks == [
        fail(
            "symlink",
            "model file config.json: replaced by a symbolic link to '/etc/passwd'",
            path="config.json",
            expected="regular file",
            actual="symlink -> /etc/passwd",
            bundle=BUNDLE,
        )
    ]


def test_a_file_replaced_by_a_link_with_the_same_digest_still_fails_against_a_bom() -> None:
    # The BOM records a regular file whose content is the string "x"; a link to "x" hashes
    # the same, and only the link check tells them apart.
    recorded = bom(disk("f", b"x"))
    checks = compare_files([recorded], [link("f", "x")], scope="model")
    assert [(c.id, c.expected, c.actual) for c in checks] == [
        ("symlink", "regular file", "symlink -> x")
    ]


def test_a_link_against_a_subject_without_size_is_compared_by_digest() -> None:
    checks = compare_files([subject(disk("f", b"data"))], [link("f", "/etc/passwd")], scope="m")
    assert checks == [
        fail(
            "file-digest",
            f"m file f: is a symbolic link to '/etc/passwd': sha256 expected {sha(b'data')}, "
            f"actual {sha('/etc/passwd')}",
            path="f",
            expected=sha(b"data"),
            actual=sha("/etc/passwd"),
        )
    ]
    # A subject cannot say a file is no link: the same digest passes.
    same = compare_files([subject(disk("f", b"x"))], [link("f", "x")], scope="m")
    assert same == [passed("files", "1 m files match")]


def test_a_recorded_link_replaced_by_a_regular_file_fails() -> None:
    recorded = bom(link("alias", "w.bin"))
    checks = compare_files([recorded], [disk("alias", b"w.bin")], scope="model", bundle=BUNDLE)
    assert checks == [
        fail(
            "symlink",
            "model file alias: must be a symbolic link to 'w.bin', found a regular file",
            path="alias",
            expected="symlink -> w.bin",
            actual="regular file",
            bundle=BUNDLE,
        )
    ]


def test_a_recorded_link_pointing_elsewhere_fails() -> None:
    recorded = bom(link("alias", "w.bin"))
    checks = compare_files([recorded], [link("alias", "../../x")], scope="model")
    assert checks == [
        fail(
            "symlink",
            "model file alias: must be a symbolic link to 'w.bin', found a link to '../../x'",
            path="alias",
            expected="symlink -> w.bin",
            actual="symlink -> ../../x",
        )
    ]


def test_a_recorded_link_whose_digest_differs_reports_the_target_change() -> None:
    recorded = ModelFile("alias", 5, {"sha256": sha("other")}, "w.bin")
    checks = compare_files([recorded], [link("alias", "w.bin")], scope="model")
    assert [c.message for c in checks] == [
        f"model file alias: link target changed: sha256 expected {sha('other')}, "
        f"actual {sha('w.bin')}"
    ]


def test_a_recorded_link_with_a_mode_on_disk_is_not_mode_checked() -> None:
    # Links carry no mode of their own; a FileDigest that has one anyway is not a new bit.
    on_disk = FileDigest("alias", 5, {"sha256": sha("w.bin")}, "w.bin", stat.S_IFLNK | 0o4777)
    checks = compare_files([bom(link("alias", "w.bin"))], [on_disk], scope="model")
    assert checks == [passed("files", "1 model files match")]


# --- mode bits -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recorded_mode", "size", "mode", "what", "shown", "recorded"),
    [
        # against a BOM (size known), a new executable bit fails ...
        (None, 10, 0o755, "newly executable", "0755", "0644"),
        # ... also when the recorded mode cannot be read (read as a plain file)
        ("rwx", 10, 0o701, "newly executable", "0755", "rwx"),
        # a new setuid/setgid bit always fails, against a BOM ...
        ("0755", 10, 0o4755, "setuid/setgid bit set", "4755", "0755"),
        # ... and against a subject, which cannot record an executable bit
        (None, None, 0o2644, "setuid/setgid bit set", "2644", "0644"),
    ],
)
def test_a_new_mode_bit_fails_naming_both_modes(
    recorded_mode: str | None, size: int | None, mode: int, what: str, shown: str, recorded: str
) -> None:
    on_disk = disk("run.sh", b"#!/bin/sh\n", REGULAR | mode)
    want = bom(on_disk, mode=recorded_mode, size=size)
    assert compare_files([want], [on_disk], scope="model", bundle=BUNDLE) == [
        fail(
            "file-mode",
            f"model file run.sh: {what} (mode {shown}, recorded {recorded})",
            path="run.sh",
            expected=recorded,
            actual=shown,
            bundle=BUNDLE,
        )
    ]


@pytest.mark.parametrize("bits", [0o100, 0o010, 0o001])
def test_any_one_new_executable_bit_fails(bits: int) -> None:
    recorded = bom(disk("x", b"x"))
    checks = compare_files([recorded], [disk("x", b"x", REGULAR | 0o644 | bits)], scope="model")
    assert [(c.id, c.actual) for c in checks] == [("file-mode", "0755")]


def test_a_recorded_executable_bit_passes() -> None:
    on_disk = disk("run.sh", b"#!/bin/sh\n", REGULAR | 0o755)
    checks = compare_files([bom(on_disk, mode="0755")], [on_disk], scope="model")
    assert checks == [passed("files", "1 model files match")]


def test_an_executable_bit_passes_against_a_subject_that_cannot_record_it() -> None:
    on_disk = disk("run.sh", b"#!/bin/sh\n", REGULAR | 0o755)
    checks = compare_files([subject(on_disk)], [on_disk], scope="model")
    assert checks == [passed("files", "1 model files match")]


def test_a_file_with_no_mode_known_is_not_mode_checked() -> None:
    # Digests read from a BOM or manifest carry no mode.
    from_manifest = disk("w", b"w", None)
    checks = compare_files([bom(from_manifest)], [from_manifest], scope="dataset d")
    assert checks == [passed("files", "1 dataset d files match")]


def test_a_setgid_bit_is_new_even_when_setuid_was_recorded() -> None:
    on_disk = disk("run", b"r", REGULAR | 0o6755)
    checks = compare_files([bom(on_disk, mode="4755")], [on_disk], scope="model")
    assert [(c.id, c.expected, c.actual) for c in checks] == [("file-mode", "4755", "6755")]


def test_a_recorded_setuid_bit_passes() -> None:
    on_disk = disk("run", b"r", REGULAR | 0o4755)
    checks = compare_files([bom(on_disk, mode="4755")], [on_disk], scope="model")
    assert checks == [passed("files", "1 model files match")]


def test_a_new_setuid_bit_is_named_before_a_new_executable_bit() -> None:
    on_disk = disk("w", b"w", REGULAR | 0o4755)
    checks = compare_files([bom(on_disk)], [on_disk], scope="model")
    assert [c.message for c in checks] == [
        "model file w: setuid/setgid bit set (mode 4755, recorded 0644)"
    ]


def test_a_setuid_file_on_real_disk_fails(tmp_path: Path) -> None:
    (tmp_path / "w.bin").write_bytes(b"weights")
    expected = [bom(f) for f in hash_tree(tmp_path).files]
    (tmp_path / "w.bin").chmod(0o4644)
    if not os.stat(tmp_path / "w.bin").st_mode & stat.S_ISUID:
        pytest.skip("this file system does not keep a setuid bit")
    tree = hash_tree(tmp_path, report_anomalies=True)
    checks = compare_files(expected, tree.files, scope="model")
    assert [(c.id, c.path, c.actual) for c in checks] == [("file-mode", "w.bin", "4644")]


# --- several problems: grouping, order, the listing limit ----------------------------------


def test_problems_are_grouped_by_check_id_in_sorted_order() -> None:
    expected = [
        bom(disk("a", b"a")),
        bom(disk("b", b"b")),
        bom(disk("c", b"c")),
        bom(disk("gone", b"g")),
    ]
    actual = [disk("a", b"A"), disk("b", b"b", REGULAR | 0o755), disk("c", b"c"), disk("n", b"n")]
    checks = compare_files(expected, actual, scope="model")
    assert [(c.id, c.path) for c in checks] == [
        ("extra-file", "n"),
        ("file-digest", "a"),
        ("file-mode", "b"),
        ("missing-file", "gone"),
    ]


def test_at_most_200_failures_of_one_kind_are_listed_and_the_rest_counted() -> None:
    actual = [disk(f"f{i:03}", b"%d" % i) for i in range(201)]
    checks = compare_files([], actual, scope="model", bundle=BUNDLE)
    assert len(checks) == 201
    assert [c.path for c in checks[:200]] == [f"f{i:03}" for i in range(200)]
    assert checks[200] == fail("extra-file", "... and 1 more extra-file failures", bundle=BUNDLE)


def test_exactly_200_failures_are_all_listed_without_a_count() -> None:
    actual = [disk(f"f{i:03}", b"%d" % i) for i in range(200)]
    checks = compare_files([], actual, scope="model")
    assert [c.path for c in checks] == [f"f{i:03}" for i in range(200)]


def test_the_limit_applies_per_kind() -> None:
    expected = [bom(disk(f"m{i:03}", b"m%d" % i)) for i in range(202)]
    actual = [disk(f"x{i:03}", b"x%d" % i) for i in range(3)]
    checks = compare_files(expected, actual, scope="model")
    assert [c.id for c in checks].count("extra-file") == 3
    assert [c.id for c in checks].count("missing-file") == 201
    assert checks[-1] == fail("missing-file", "... and 2 more missing-file failures", bundle=None)
    assert checks[-1].path is None


# --- anomaly_checks ------------------------------------------------------------------------


def test_each_anomaly_is_a_failed_check_whose_id_is_its_kind() -> None:
    anomalies = [
        Anomaly("fifo", SPECIAL_FILE, "a named pipe"),
        Anomaly("evil", SYMLINK_ESCAPE, "symbolic link to /etc/passwd leaves the model"),
        Anomaly("dev", SPECIAL_FILE, "a character device"),
    ]
    assert anomaly_checks(anomalies) == [
        fail("special-file", "model fifo: a named pipe", path="fifo"),
        fail("special-file", "model dev: a character device", path="dev"),
        fail(
            "symlink-escape",
            "model evil: symbolic link to /etc/passwd leaves the model",
            path="evil",
        ),
    ]


def test_anomalies_name_their_scope() -> None:
    checks = anomaly_checks([Anomaly("p", SPECIAL_FILE, "a socket")], scope="dataset d")
    assert checks == [Check("special-file", "fail", "dataset d p: a socket", path="p")]


def test_no_anomalies_give_no_checks() -> None:
    assert anomaly_checks([]) == []


def test_at_most_200_anomalies_of_one_kind_are_listed() -> None:
    anomalies = [Anomaly(f"p{i:03}", SPECIAL_FILE, "a named pipe") for i in range(203)]
    checks = anomaly_checks(anomalies)
    assert len(checks) == 201
    assert checks[-1] == fail("special-file", "... and 3 more special-file failures")


def test_anomalies_from_a_real_walk_become_failed_checks(tmp_path: Path) -> None:
    (tmp_path / "w.bin").write_bytes(b"w")
    os.mkfifo(tmp_path / "pipe")
    os.symlink("/etc/passwd", tmp_path / "escape")
    tree = hash_tree(tmp_path, report_anomalies=True)
    checks = anomaly_checks(tree.anomalies)
    assert [(c.id, c.path, c.status) for c in checks] == [
        ("special-file", "pipe", "fail"),
        ("symlink-escape", "escape", "fail"),
    ]
