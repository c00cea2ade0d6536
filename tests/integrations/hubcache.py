"""Build a Hugging Face Hub cache (``models--ORG--NAME/{blobs,snapshots,refs}``) from real files.

The layout is what huggingface_hub writes: each blob is named by the Hub's ETag for the file
(the SHA-256 of an LFS file, the git blob id of a small one) and each snapshot file is a
relative symbolic link to it; ``refs/main`` holds the commit.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

#: The real commit of sentence-transformers/all-MiniLM-L6-v2 the packaged files come from.
MINILM_REVISION = "c9745ed1d9f207416be6d2e6f8de32d1f16199bf"
LFS_SUFFIXES = (".safetensors", ".bin", ".onnx", ".parquet", ".arrow", ".h5", ".ot")


def oid_of(path: Path) -> str:
    content = path.read_bytes()
    if path.suffix in LFS_SUFFIXES:
        return hashlib.sha256(content).hexdigest()
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def build_cache(
    hub_cache: Path, repo_id: str, source: Path, revision: str, repo_type: str = "model"
) -> Path:
    """Lay out ``source`` as ``repo_id`` at ``revision`` (and ``refs/main``); the snapshot."""
    folder = f"{repo_type}s--" + repo_id.replace("/", "--")
    repo = hub_cache / folder
    snapshot = repo / "snapshots" / revision
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(revision)
    for file in sorted(p for p in source.rglob("*") if p.is_file()):
        rel = file.relative_to(source)
        oid = oid_of(file)
        blob = repo / "blobs" / oid
        if not blob.exists():
            shutil.copyfile(file, blob)
        link = snapshot / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    return snapshot
