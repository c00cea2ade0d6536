"""Check a recorder's bundle against the checkpoint on disk, as a deployer would.

``mbom verify`` when this checkout has it; until then the same two steps with the library:
the bundle's signature (``verify_bundle``) and every subject re-hashed from disk, no cache.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from mbom.attest import verify_bundle
from mbom.hashing import hash_tree
from tests.generate.conftest import run_mbom


def assert_verified(path: Path, bundle: Path, public_key: Path) -> None:
    if importlib.util.find_spec("mbom.cli.verify_cmd") is not None:
        result = run_mbom("verify", str(path), "--bundle", str(bundle), "--key", str(public_key))
        assert result.returncode == 0, result.stdout + result.stderr
        return
    verified = verify_bundle(bundle, keys=[public_key])
    assert verified.statement is not None and verified.statement.is_bom
    tree = hash_tree(path, cache=False)
    on_disk = {entry.path: entry.digests["sha256"] for entry in tree.files}
    signed = {s.name: s.digest["sha256"] for s in verified.statement.subjects}
    assert signed == on_disk
