"""``--datasets ROOT``: re-hash each dataset the BOM records and compare per-file digests.

Usage::

    from mbom.verify.datasets import check_datasets

    checks = check_datasets(bom, "data/", manifest_dirs=[bundle_dir])

Each hashed dataset (``mbom:hashed`` = true) is looked for under ROOT at its recorded
location (when relative), then at ``ROOT/<name>``, then at ``ROOT/<last part of location>``.
Its per-file digests come from nested ``file`` components or from the sidecar manifest
named by ``mbom:manifest`` (looked for beside the bundle, then under ROOT), whose own SHA-256
must equal ``mbom:manifest:sha256``. Files are re-hashed without the cache and with the
default ignore set only; the Merkle root must equal ``mbom:merkle-root:sha256``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from typing import Any

from mbom.errors import MbomError
from mbom.load import parse_json
from mbom.verify.bom_checks import MERKLE_PROPERTY, properties
from mbom.verify.checks import Check, fail, passed, skipped
from mbom.verify.files import compare_files, under

MAX_MANIFEST_BYTES = 1 << 30


def check_datasets(
    bom: Mapping[str, Any], root: str, *, manifest_dirs: Sequence[str] = ()
) -> list[Check]:
    """One group of checks per hashed dataset of ``bom``."""
    checks: list[Check] = []
    datasets = [
        c
        for c in bom.get("components") or ()
        if isinstance(c, Mapping)
        and c.get("type") == "data"
        and str(c.get("bom-ref", "")).startswith("dataset:")
    ]
    for component in datasets:
        props = properties(component)
        name = str(component.get("name", ""))
        if props.get("mbom:hashed") != "true":
            checks.append(
                skipped("dataset", f"dataset {name}: recorded without digests", path=name)
            )
            continue
        checks += _check_one(component, props, name, root, [*manifest_dirs, root])
    if not datasets:
        checks.append(skipped("dataset", "the BOM records no datasets"))
    return checks


def _locate(root: str, name: str, location: str) -> str | None:
    candidates = []
    if location and not os.path.isabs(location) and "://" not in location:
        candidates.append(os.path.join(root, location))
    candidates += [
        os.path.join(root, name),
        os.path.join(root, os.path.basename(location.rstrip("/"))),
    ]
    return next((c for c in candidates if os.path.lexists(c)), None)


def _check_one(
    component: Mapping[str, Any], props: dict[str, str], name: str, root: str, dirs: list[str]
) -> list[Check]:
    from mbom.bom.subjects import ALGORITHM_FROM_CYCLONEDX, ModelFile, component_files
    from mbom.hashing import hash_tree, merkle_root

    path = _locate(root, name, props.get("mbom:dataset:location", ""))
    if path is None:
        return [fail("dataset", f"dataset {name}: not found under {root}", path=name)]
    try:
        tree = hash_tree(path, cache=False, ignore_file=False)
    except MbomError as exc:
        return [fail("dataset", f"dataset {name}: {exc}", path=name)]
    scope = f"dataset {name}"
    if not tree.is_directory:
        digests = {
            ALGORITHM_FROM_CYCLONEDX[h["alg"]]: str(h.get("content", "")).lower()
            for h in component.get("hashes") or ()
            if isinstance(h, Mapping) and h.get("alg") in ALGORITHM_FROM_CYCLONEDX
        }
        if "sha256" not in digests:
            return [fail("dataset", f"{scope}: the BOM records no SHA-256", path=name)]
        want = [ModelFile(path=tree.files[0].path, size=None, digests=digests)]
        return compare_files(want, tree.files, scope=scope)
    manifest = props.get("mbom:manifest")
    if manifest:
        expected, problem = _read_manifest(manifest, props.get("mbom:manifest:sha256"), dirs)
        if problem is not None:
            return [problem]
    else:
        expected = list(component_files(component, "dataset"))
    ignored = _ignored(props.get("mbom:dataset:ignored"))
    actual = [f for f in tree.files if not under(f.path, ignored)]
    checks = compare_files(expected, actual, scope=scope)
    recorded = props.get(MERKLE_PROPERTY)
    if recorded:
        computed = merkle_root(actual)
        if computed == recorded:
            checks.append(
                passed("dataset-merkle-root", f"{scope}: Merkle root {computed}", path=name)
            )
        else:
            checks.append(
                fail(
                    "dataset-merkle-root",
                    f"{scope}: Merkle root differs: expected {recorded}, actual {computed}",
                    path=name,
                    expected=recorded,
                    actual=computed,
                )
            )
    return checks


def _ignored(raw: str | None) -> tuple[str, ...]:
    try:
        value = parse_json(raw) if raw else []
    except ValueError:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _read_manifest(
    name: str, sha256: str | None, dirs: Sequence[str]
) -> tuple[list[Any], Check | None]:
    """The per-file records of a sidecar manifest, after checking its own digest."""
    from mbom.bom.subjects import ModelFile

    if os.path.basename(name) != name:
        return [], fail("dataset-manifest", f"manifest name {name!r} is not a plain file name")
    path = next(
        (os.path.join(d, name) for d in dirs if os.path.isfile(os.path.join(d, name))), None
    )
    if path is None:
        return [], fail(
            "dataset-manifest",
            f"sidecar manifest {name} not found (looked beside the bundle and under ROOT)",
            path=name,
            evaluated=False,
        )
    with open(path, "rb") as handle:
        data = handle.read(MAX_MANIFEST_BYTES)
    actual = hashlib.sha256(data).hexdigest()
    if actual != (sha256 or "").lower():
        return [], fail(
            "dataset-manifest",
            f"sidecar manifest {name}: sha256 expected {sha256}, actual {actual}",
            path=name,
            expected=sha256,
            actual=actual,
        )
    records = []
    try:
        for line in data.decode("utf-8").splitlines():
            if line.strip():
                item = parse_json(line)
                records.append(
                    ModelFile(
                        path=str(item["path"]),
                        size=int(item["size"]),
                        digests={"sha256": str(item["digest"]).lower()},
                        symlink=item.get("symlink"),
                    )
                )
    except (ValueError, KeyError, TypeError) as exc:
        return [], fail("dataset-manifest", f"sidecar manifest {name}: malformed: {exc}", path=name)
    return records, None
