"""Finding a parent's file: at its recorded location, or by serial number in search folders.

Usage::

    index = ParentIndex.load(["releases/"], ["extra.cdx.json"])  # every BOM/bundle by serial
    source, looked = resolve(serial, ancestor_properties, child_path, index)

A bundle that carries the serial number is preferred to a bare BOM file; a file that is not a
BOM or bundle of ours is passed over (a search folder may hold anything).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mbom.errors import MbomError

_SUFFIXES = (".cdx.json", ".sigstore.json")


@dataclass(frozen=True, slots=True)
class BomSource:
    """A BOM as read from a file, with the bundle document when it came from one."""

    path: str
    bom: Mapping[str, Any]
    document: dict[str, Any] | None

    @classmethod
    def read(cls, path: str) -> BomSource:
        from mbom.attest.bundles import read_bundle
        from mbom.bom.parents import load_bom_or_bundle

        bom, from_bundle = load_bom_or_bundle(path)
        return cls(path, bom, read_bundle(path) if from_bundle else None)

    @property
    def serial(self) -> str | None:
        value = self.bom.get("serialNumber")
        return str(value) if value else None


@dataclass(frozen=True, slots=True)
class ParentIndex:
    """Files that may hold a parent, by the serial number of the BOM they carry."""

    by_serial: Mapping[str, tuple[str, ...]]

    @classmethod
    def load(cls, folders: Sequence[str], files: Sequence[str]) -> ParentIndex:
        from mbom.bom.parents import load_bom_or_bundle
        from mbom.errors import InputError

        found: dict[str, list[str]] = {}
        for folder in folders:
            if not os.path.isdir(folder):
                raise InputError(f"{folder}: no such directory (--search)", path=folder)
        for path in [*files, *_walk(folders)]:
            try:
                bom, _ = load_bom_or_bundle(path)
            except MbomError:
                continue  # not a BOM or bundle of ours; a search folder may hold anything
            serial = bom.get("serialNumber")
            if serial:
                found.setdefault(str(serial), []).append(path)
        return cls({serial: tuple(paths) for serial, paths in found.items()})


def _walk(folders: Sequence[str]) -> Iterable[str]:
    for folder in folders:
        for here, dirs, names in os.walk(folder):
            dirs.sort()
            for name in sorted(names):
                if name.endswith(_SUFFIXES):
                    yield os.path.join(here, name)


def resolve(
    serial: str, props: Mapping[str, str], where: str, index: ParentIndex
) -> tuple[BomSource | None, list[str]]:
    """The parent's file: a bundle if one carries the serial number, else a BOM file."""
    paths: list[str] = []
    location = props.get("mbom:parent:location")
    if location:
        for base in (os.path.dirname(where), ""):
            path = os.path.join(base, location)
            paths += [path] if path.endswith(".sigstore.json") else [path + ".sigstore.json", path]
    paths += index.by_serial.get(serial, ())
    looked = list(dict.fromkeys(paths))
    best: BomSource | None = None
    for path in looked:
        if not os.path.isfile(path):
            continue
        try:
            source = BomSource.read(path)
        except MbomError:
            continue
        if source.serial == serial and source.document is not None:
            return source, looked
        if source.serial == serial and best is None:
            best = source
    return best, looked
