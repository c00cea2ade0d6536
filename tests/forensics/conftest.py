"""Helpers for forensics tests: run the CLI, build BOMs with datasets from synthetic entries."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from mbom.hashing import FileDigest, merkle_root

MBOM = [sys.executable, "-m", "mbom.cli"]


def run_mbom(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    return subprocess.run(
        [*MBOM, *args], capture_output=True, text=True, cwd=cwd, env=env, check=False
    )


def entry(path: str, content: bytes) -> dict[str, object]:
    return {"path": path, "size": len(content), "digest": hashlib.sha256(content).hexdigest()}


def write_manifest_bom(
    folder: Path,
    entries: Sequence[dict[str, object]],
    *,
    name: str = "corpus",
    location: str = "data",
    serial: str = "urn:uuid:00000000-0000-5000-8000-000000000001",
) -> Path:
    """A BOM whose dataset keeps its per-file digests in a sidecar manifest, as mbom writes it."""
    ordered = sorted(entries, key=lambda e: str(e["path"]).encode())
    manifest = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in ordered).encode()
    manifest_name = f"bom.{name}.cdx.manifest.jsonl"
    (folder / manifest_name).write_bytes(manifest)
    root = merkle_root(
        FileDigest(str(e["path"]), int(e["size"]), {"sha256": str(e["digest"])}) for e in ordered
    )
    props = {
        "mbom:dataset:location": location,
        "mbom:hashed": "true",
        "mbom:dataset:files": str(len(ordered)),
        "mbom:dataset:bytes": str(sum(int(e["size"]) for e in ordered)),
        "mbom:merkle-root:sha256": root,
        "mbom:manifest": manifest_name,
        "mbom:manifest:sha256": hashlib.sha256(manifest).hexdigest(),
    }
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial,
        "version": 1,
        "metadata": {"component": {"type": "machine-learning-model", "name": "m"}},
        "components": [
            {
                "type": "data",
                "bom-ref": f"dataset:{name}",
                "name": name,
                "properties": [{"name": k, "value": v} for k, v in sorted(props.items())],
                "data": [{"type": "dataset", "name": name}],
            }
        ],
    }
    path = folder / "bom.cdx.json"
    path.write_text(json.dumps(bom, indent=2))
    return path
