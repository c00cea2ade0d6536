"""``verify --datasets`` against a sidecar manifest: streamed, merge-joined, bounded.

The same tampering must give the same checks whether the BOM keeps the dataset's files
inline or in a manifest; a manifest that is tampered with, out of order or repeats a path is
one ``dataset-manifest`` failure; many differences are listed up to a bound and counted.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from mbom.verify.checks import Check
from mbom.verify.datasets import check_datasets
from mbom.verify.files import MAX_LISTED
from tests.helpers.cli import REPO

DATA = {
    "a.csv": b"x,y\n1,2\n",
    "b.txt": b"bee\n",
    "sub/c.bin": bytes(range(256)),
    "sub/deep/d.json": b'{"d": 1}\n',
    "z.txt": b"zed\n",
}


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    return root


def generate(data: Path, out: Path, threshold: int) -> dict[str, Any]:
    """A BOM of a one-file model and ``data`` (inline files or a manifest beside ``out``)."""
    from mbom.generate import GenerateRequest, generate, manifest_stem_for, write_bom

    model = write_tree(out.parent / "model", {"w.bin": b"weights"})
    request = GenerateRequest(
        model=str(model),
        datasets=(f"train={data}",),
        environment=False,
        git_dir=None,
        packages=False,
        manifest_threshold=threshold,
    )
    built = generate(request, manifest_stem=manifest_stem_for(out), cache=False)
    write_bom(built, out)
    return built.document


@pytest.fixture
def boms(tmp_path: Path) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    """The data root and two BOMs of it: files inline, and in a sidecar manifest."""
    data = write_tree(tmp_path / "data" / "train", DATA)
    (tmp_path / "inline").mkdir()
    (tmp_path / "sidecar").mkdir()
    inline = generate(data, tmp_path / "inline" / "bom.cdx.json", 1000)
    sidecar = generate(data, tmp_path / "sidecar" / "bom.cdx.json", 1)
    assert (tmp_path / "sidecar" / "bom.train.cdx.manifest.jsonl").is_file()
    return tmp_path, inline, sidecar


def run(base: Path, bom: dict[str, Any], where: str = "sidecar") -> list[Check]:
    return check_datasets(bom, str(base / "data"), manifest_dirs=[str(base / where)])


def failed(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.status == "fail"]


def test_untouched_dataset_passes_both_ways(boms) -> None:
    base, inline, sidecar = boms
    for bom, where in ((inline, "inline"), (sidecar, "sidecar")):
        checks = run(base, bom, where)
        assert [(c.id, c.status) for c in checks] == [
            ("files", "pass"),
            ("dataset-merkle-root", "pass"),
        ]
        assert checks[0].message == f"{len(DATA)} dataset train files match"


TAMPER = {
    "changed": lambda d: (d / "sub/c.bin").write_bytes(b"changed"),
    "removed": lambda d: (d / "b.txt").unlink(),
    "added": lambda d: (d / "new.txt").write_text("new\n"),
    "renamed": lambda d: (d / "a.csv").rename(d / "a2.csv"),
    "directory to link": lambda d: (
        shutil.rmtree(d / "sub"),
        (d / "sub-x").write_text("x"),
        os.symlink("z.txt", d / "sub"),
    ),
    "link added": lambda d: os.symlink("a.csv", d / "a.link"),
}


@pytest.mark.parametrize("case", sorted(TAMPER))
def test_manifest_gives_the_checks_inline_files_give(boms, case: str) -> None:
    base, inline, sidecar = boms
    TAMPER[case](base / "data" / "train")
    from_manifest = run(base, sidecar)
    assert from_manifest == run(base, inline, "inline")
    assert failed(from_manifest), from_manifest
    assert from_manifest[-1].id == "dataset-merkle-root"
    if case == "renamed":
        messages = [c.message for c in from_manifest]
        assert "dataset train file a.csv: missing (renamed to 'a2.csv'?)" in messages
    if case == "directory to link":
        assert any(c.id == "symlink" and c.path == "sub" for c in from_manifest)


def manifest_of(base: Path) -> Path:
    return base / "sidecar" / "bom.train.cdx.manifest.jsonl"


def repin(bom: dict[str, Any], manifest: Path) -> dict[str, Any]:
    """The BOM with the manifest's current SHA-256 pinned (as a dishonest producer would)."""
    copy = json.loads(json.dumps(bom))
    for component in copy["components"]:
        for prop in component.get("properties", ()):
            if prop["name"] == "mbom:manifest:sha256":
                prop["value"] = hashlib.sha256(manifest.read_bytes()).hexdigest()
    return copy


def test_tampered_manifest_is_one_failure(boms) -> None:
    base, _, sidecar = boms
    manifest = manifest_of(base)
    pinned = hashlib.sha256(manifest.read_bytes()).hexdigest()
    text = manifest.read_text()
    (base / "data" / "train" / "b.txt").write_bytes(b"evil\n")  # and the manifest "agrees"
    evil = hashlib.sha256(b"evil\n").hexdigest()
    manifest.write_text(text.replace(hashlib.sha256(DATA["b.txt"]).hexdigest(), evil))
    checks = run(base, sidecar)
    assert [c.id for c in checks] == ["dataset-manifest"], checks
    actual = hashlib.sha256(manifest.read_bytes()).hexdigest()
    assert checks[0].message == (
        f"sidecar manifest bom.train.cdx.manifest.jsonl: sha256 expected {pinned}, actual {actual}"
    )
    assert (checks[0].expected, checks[0].actual) == (pinned, actual)


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda lines: [lines[1], lines[0], *lines[2:]], "is out of order after 'b.txt'"),
        (lambda lines: [lines[0], *lines], "path 'a.csv' repeats 'a.csv'"),
        (lambda lines: [lines[0], "{not json", *lines[1:]], "line 2:"),
        (lambda lines: [lines[0].replace('"a.csv"', '"../a.csv"'), *lines[1:]], "leaves the root"),
    ],
    ids=["unsorted", "duplicate", "not json", "escaping path"],
)
def test_malformed_manifest_fails_even_when_pinned(boms, edit, reason: str) -> None:
    base, _, sidecar = boms
    manifest = manifest_of(base)
    manifest.write_text("\n".join(edit(manifest.read_text().splitlines())) + "\n")
    checks = run(base, repin(sidecar, manifest))
    assert [c.id for c in checks] == ["dataset-manifest"], checks
    assert "sidecar manifest bom.train.cdx.manifest.jsonl: malformed: line " in checks[0].message
    assert reason in checks[0].message


def test_malformed_and_tampered_manifest_reports_the_digest(boms) -> None:
    base, _, sidecar = boms
    manifest = manifest_of(base)
    lines = manifest.read_text().splitlines()
    manifest.write_text("\n".join([lines[1], lines[0], *lines[2:]]) + "\n")
    checks = run(base, sidecar)
    assert checks[0].id == "dataset-manifest" and "sha256 expected" in checks[0].message


def test_recorded_ignored_paths_are_left_out_of_the_root(boms) -> None:
    base, _, sidecar = boms
    (base / "data" / "train" / "logs").mkdir()
    (base / "data" / "train" / "logs" / "run.log").write_text("noise\n")
    for component in sidecar["components"]:
        if component.get("bom-ref") == "dataset:train":
            component["properties"].append(
                {"name": "mbom:dataset:ignored", "value": json.dumps(["logs/"])}
            )
    assert [c.status for c in run(base, sidecar)] == ["pass", "pass"]


def test_many_differences_are_listed_up_to_a_bound(tmp_path: Path) -> None:
    count = MAX_LISTED * 3
    data = write_tree(tmp_path / "data" / "train", {f"f{i:04d}": b"%d" % i for i in range(count)})
    (tmp_path / "sidecar").mkdir()
    bom = generate(data, tmp_path / "sidecar" / "bom.cdx.json", 1)
    shutil.rmtree(data)
    write_tree(data, {f"g{i:04d}": b"new %d" % i for i in range(count)})
    checks = run(tmp_path, bom)
    by_id: dict[str, list[Check]] = {}
    for check in checks:
        by_id.setdefault(check.id, []).append(check)
    for kind in ("missing-file", "extra-file"):
        assert len(by_id[kind]) == MAX_LISTED + 1
        assert by_id[kind][-1].message == f"... and {count - MAX_LISTED} more {kind} failures"
    assert by_id["missing-file"][0].path == "f0000"
    assert by_id["extra-file"][MAX_LISTED - 1].path == f"g{MAX_LISTED - 1:04d}"
    assert len(checks) == 2 * (MAX_LISTED + 1) + 1


RSS_SCRIPT = """
import json, sys
from tests.helpers.rss import peak_rss
from mbom.verify.datasets import check_datasets
bom = json.load(open(sys.argv[1]))
checks = check_datasets(bom, sys.argv[2], manifest_dirs=[sys.argv[3]])
peak = peak_rss()
print(json.dumps({"peak": peak, "checks": [[c.id, c.status, c.message] for c in checks]}))
"""


def _synthetic_dataset(root: Path, count: int) -> list[dict[str, Any]]:
    """``count`` tiny files in 1,000-file folders, and their manifest entries (sorted)."""
    entries = []
    for i in range(count):
        name = f"d{i // 1000:03d}/f{i % 1000:03d}"
        content = b"%d\n" % i
        if i % 1000 == 0:
            (root / name).parent.mkdir(parents=True)
        (root / name).write_bytes(content)
        digest = hashlib.sha256(content).hexdigest()
        entries.append({"path": name, "size": len(content), "digest": digest})
    return entries


def _manifest_bom(folder: Path, entries: list[dict[str, Any]]) -> Path:
    """A BOM whose dataset ``train`` has a sidecar manifest, bytes as mbom writes them."""
    from mbom.bom.dataset_components import write_manifest
    from mbom.hashing import FileDigest, TreeDigest, merkle_root

    files = tuple(FileDigest(e["path"], e["size"], {"sha256": e["digest"]}) for e in entries)
    tree = TreeDigest(path="train", is_directory=True, algorithms=("sha256",), files=files)
    manifest = write_manifest(tree)
    shutil.move(manifest.path, folder / "bom.train.cdx.manifest.jsonl")
    props = {
        "mbom:dataset:location": "train",
        "mbom:hashed": "true",
        "mbom:merkle-root:sha256": merkle_root(files),
        "mbom:manifest": "bom.train.cdx.manifest.jsonl",
        "mbom:manifest:sha256": manifest.sha256,
    }
    component = {
        "type": "data",
        "bom-ref": "dataset:train",
        "name": "train",
        "properties": [{"name": k, "value": v} for k, v in props.items()],
    }
    path = folder / "bom.cdx.json"
    path.write_text(json.dumps({"components": [component]}))
    return path


def test_peak_memory_does_not_scale_with_a_200k_file_dataset(tmp_path: Path) -> None:
    """Measured in a fresh process, a generous bound and no timing: ~100 MB here (the sort run
    buffer), where the comparison in memory peaked at 267 MB."""
    import subprocess
    import sys

    count = 200_000
    data = tmp_path / "data"
    entries = _synthetic_dataset(data / "train", count)
    bom = _manifest_bom(tmp_path, entries)
    del entries
    (data / "train" / "d007" / "f123").write_bytes(b"changed\n")
    result = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT, str(bom), str(data), str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout)
    ids = [(check_id, status) for check_id, status, _ in measured["checks"]]
    assert ids == [("file-digest", "fail"), ("dataset-merkle-root", "fail")]
    assert "d007/f123: content changed" in measured["checks"][0][2]
    assert measured["peak"] < 200 * 1024 * 1024, measured["peak"]
