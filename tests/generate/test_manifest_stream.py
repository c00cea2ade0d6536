"""A sidecar manifest streamed to a temporary file has the documented bytes and SHA-256."""

from __future__ import annotations

import gc
import hashlib
import json
import os
from pathlib import Path

import pytest

from mbom.bom.dataset_components import write_manifest
from mbom.hashing import hash_tree
from tests.hashing.test_streaming import _shrink, make_tree


def _documented(tree) -> bytes:
    """docs/bom-format.md: JSON Lines sorted by path; digest, digest:ALG..., symlink."""
    lines = []
    for entry in sorted(tree.files, key=lambda e: e.path.encode()):
        line = {"path": entry.path, "size": entry.size}
        for index, name in enumerate(tree.algorithms):
            line["digest:" + name if index else "digest"] = entry.digests[name]
        if entry.symlink is not None:
            line["symlink"] = entry.symlink
        lines.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode() if lines else b""


@pytest.mark.parametrize("streamed", [False, True])
def test_manifest_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streamed: bool) -> None:
    if streamed:
        _shrink(monkeypatch, tmp_path)
    monkeypatch.setattr("mbom.bom.dataset_components._LINES_PER_WRITE", 7)
    tree = hash_tree(make_tree(tmp_path / "t"), algorithms=("sha256", "blake3"))
    manifest = write_manifest(tree)
    data = Path(manifest.path).read_bytes()
    assert data == manifest.read_bytes() == _documented(tree)
    assert manifest.sha256 == hashlib.sha256(data).hexdigest() and manifest.size == len(data)
    path = manifest.path
    del manifest
    gc.collect()
    assert not os.path.exists(path)


def test_generate_writes_the_streamed_manifest(tmp_path: Path) -> None:
    from mbom.generate import GenerateRequest, generate, write_bom

    model, data = tmp_path / "model", make_tree(tmp_path / "data", 40)
    model.mkdir()
    (model / "w.bin").write_bytes(b"w")
    request = GenerateRequest(
        model=str(model),
        datasets=(f"big={data}",),
        environment=False,
        git_dir=None,
        packages=False,
        manifest_threshold=5,
    )
    out = tmp_path / "out" / "bom.cdx.json"
    out.parent.mkdir()
    written = write_bom(generate(request, cache=False), out)
    manifest = next(p for p in written if p.name.endswith(".cdx.manifest.jsonl"))
    assert manifest.read_bytes() == _documented(hash_tree(data))
    assert hashlib.sha256(manifest.read_bytes()).hexdigest() in out.read_text()
