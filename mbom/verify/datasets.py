"""``--datasets ROOT``: re-hash each dataset the BOM records and compare per-file digests.

Usage::

    from mbom.verify.datasets import check_datasets

    checks = check_datasets(bom, "data/", manifest_dirs=[bundle_dir])
    checks = check_datasets(bom, "s3://bucket/", manifest_dirs=[bundle_dir])  # where it lives

Each hashed dataset (``mbom:hashed`` = true) is found under ROOT, a local folder or a URL
prefix (:mod:`mbom.verify.dataset_location`). Its per-file digests come from nested ``file``
components or from the sidecar manifest named by ``mbom:manifest`` (looked for beside the
bundle, then under a local ROOT), whose own SHA-256 must equal ``mbom:manifest:sha256``.
Files are re-hashed without the cache and with the default ignore set only; the Merkle root
must equal ``mbom:merkle-root:sha256``.

Memory does not grow with the dataset: the manifest is read line by line
(:class:`mbom.bom.manifest_reader.ManifestReader`) and merge-joined with the re-hashed
tree's files (disk-backed for a large tree) by :func:`mbom.verify.files.compare_sorted`; the
manifest's digest is known only at its end, so until then nothing the join found is
reported: a tampered manifest gives one ``dataset-manifest`` failure and nothing else.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from mbom.errors import MbomError, VerificationError
from mbom.hashing._location import is_remote
from mbom.load import parse_json
from mbom.verify.bom_checks import MERKLE_PROPERTY, properties
from mbom.verify.checks import Check, fail, passed, skipped
from mbom.verify.dataset_location import locate_dataset, not_found
from mbom.verify.files import compare_files, compare_sorted, under


def check_datasets(
    bom: Mapping[str, Any],
    root: str,
    *,
    manifest_dirs: Sequence[str] = (),
    executor: Any = None,
) -> list[Check]:
    """One group of checks per hashed dataset of ``bom`` (``executor``: hash on Dask)."""
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
        dirs = [*manifest_dirs] if is_remote(root) else [*manifest_dirs, root]
        checks += _check_one(component, props, name, root, dirs, executor)
    if not datasets:
        checks.append(skipped("dataset", "the BOM records no datasets"))
    return checks


def _check_one(
    component: Mapping[str, Any],
    props: dict[str, str],
    name: str,
    root: str,
    dirs: list[str],
    executor: Any,
) -> list[Check]:
    from mbom.bom.subjects import ALGORITHM_FROM_CYCLONEDX, ModelFile, component_files
    from mbom.hashing import hash_tree

    location = props.get("mbom:dataset:location", "")
    try:
        path = locate_dataset(root, name, location)
        if path is None:
            return [fail("dataset", not_found(root, name, location), path=name)]
        tree = hash_tree(path, cache=False, ignore_file=False, executor=executor)
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
    actual = _Kept(tree, _ignored(props.get("mbom:dataset:ignored")))
    manifest = props.get("mbom:manifest")
    if manifest:
        reader, problem = _open_manifest(manifest, props.get("mbom:manifest:sha256"), dirs)
        if problem is not None:
            return [problem]
        try:
            checks = compare_sorted(_as_model_files(reader), actual, scope=scope)
        except MbomError as exc:  # only known once the manifest is read to its end
            return [_manifest_problem(manifest, props.get("mbom:manifest:sha256"), exc)]
    else:
        expected = _last_of_each(component_files(component, "dataset"))
        checks = compare_sorted(expected, actual, scope=scope)
    recorded = props.get(MERKLE_PROPERTY)
    if recorded:
        computed = actual.root()
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


def _open_manifest(name: str, sha256: str | None, dirs: Sequence[str]) -> tuple[Any, Check | None]:
    """A reader over the sidecar manifest found beside the bundle or under ROOT."""
    from mbom.bom.manifest_reader import ManifestReader

    if os.path.basename(name) != name:
        return None, fail("dataset-manifest", f"manifest name {name!r} is not a plain file name")
    path = next(
        (os.path.join(d, name) for d in dirs if os.path.isfile(os.path.join(d, name))), None
    )
    if path is None:
        return None, fail(
            "dataset-manifest",
            f"sidecar manifest {name} not found (looked beside the bundle and under ROOT)",
            path=name,
            evaluated=False,
        )
    return ManifestReader(path, (sha256 or "").lower(), display=name), None


def _manifest_problem(name: str, sha256: str | None, exc: MbomError) -> Check:
    """The one check a manifest that fails its pinned digest, or does not parse, gives."""
    from mbom.bom.manifest_reader import ManifestLineError

    if isinstance(exc, VerificationError):
        return fail(
            "dataset-manifest",
            f"sidecar manifest {name}: sha256 expected {sha256}, actual {exc.actual}",
            path=name,
            expected=sha256,
            actual=exc.actual,
        )
    if isinstance(exc, ManifestLineError):
        reason = f"line {exc.number}: {exc.reason}"
        return fail("dataset-manifest", f"sidecar manifest {name}: malformed: {reason}", path=name)
    return fail("dataset-manifest", f"sidecar manifest {exc}", path=name, evaluated=False)


def _as_model_files(entries: Iterable[Any]) -> Iterator[Any]:
    """Manifest entries in the shape the file comparison takes (digests by algorithm)."""
    from mbom.bom.subjects import ModelFile

    for entry in entries:
        yield ModelFile(entry.path, entry.size, {"sha256": entry.digest}, entry.symlink)


def _last_of_each(files: Sequence[Any]) -> list[Any]:
    """Files sorted by path with each path once (the last one recorded, as a dict keeps)."""
    return [f for i, f in enumerate(files) if i + 1 == len(files) or files[i + 1].path != f.path]


class _Kept:
    """The tree's files less the recorded ignored paths; their Merkle root once iterated.

    The comparison's one pass over the files also feeds the root builder; when nothing is
    left out, the tree's own root is the answer.
    """

    def __init__(self, tree: Any, ignored: tuple[str, ...]) -> None:
        self.tree, self.ignored = tree, ignored
        self._root: str | None = tree.root("sha256") if not ignored else None

    def __iter__(self) -> Iterator[Any]:
        from mbom.hashing.merkle import RootBuilder, leaf_hash

        if not self.ignored:
            yield from self.tree.files
            return
        builder, ignored = RootBuilder("sha256"), self.ignored
        for entry in self.tree.files:
            if under(entry.path, ignored):
                continue
            digest = bytes.fromhex(entry.digests["sha256"])
            link = entry.symlink is not None
            builder.add(leaf_hash("sha256", entry.path, entry.size, digest, symlink=link))
            yield entry
        self._root = builder.root().hex()

    def root(self) -> str:
        """The Merkle root of the files kept (one more pass if none has finished yet)."""
        if self._root is None:
            for _ in self:
                pass
        return self._root or ""
