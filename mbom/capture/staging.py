"""A remote model, read once into a private copy that the inspectors parse.

Usage::

    from mbom.capture.staging import staged

    with staged("s3://bucket/models/bert/") as copy:
        copy.path                  # a private temporary directory holding the model's files
        copy.versions["config.json"]   # the object version each file was read at
    # the copy is deleted here, on every exit path

Capture parses checkpoint headers, configs and model cards, and scans every file for pickles
by content. Parsing an object in place would read it again, and what was parsed could differ
from what was hashed (the object overwritten in between). So each object is streamed once, at
the version the listing named (pinned where the store supports it), into a 0700 temporary
directory; the digests and every parser then read those very bytes. After the copy, the
location is listed again: an object whose size or version changed meanwhile is an
:class:`~mbom.errors.ObjectChangedError` naming it, so the BOM never mixes two versions.
The copy needs free space in ``TMPDIR`` the size of the model (datasets are never copied:
they are hashed in place, see docs/scale.md).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from mbom.errors import InputError, ObjectChangedError
from mbom.paths import check_relative_name

_CHUNK = 8 << 20


@dataclass(frozen=True, slots=True)
class StagedCopy:
    """The private copy of a remote model and what was read."""

    url: str
    """The location as it may be recorded (no credentials, no query string)."""
    path: str
    is_directory: bool
    versions: Mapping[str, tuple[tuple[str, str], ...] | None]
    """Relative path -> the object version its bytes were read at."""


@contextmanager
def private_workdir(prefix: str) -> Iterator[tuple[str, str]]:
    """A new temporary directory and its 0700 ``model`` folder, removed on every exit path:
    where a remote model's bytes are written once and then read by capture."""
    workdir = tempfile.mkdtemp(prefix=prefix)
    try:
        base = os.path.join(workdir, "model")
        os.mkdir(base, 0o700)
        yield workdir, base
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def create_private(base: str, rel: str) -> BinaryIO:
    """A new 0600 file at ``base/rel`` (folders 0700): never following a link, never
    overwriting (``FileExistsError`` when the name was already written)."""
    target = os.path.join(base, *rel.split("/"))
    os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    return os.fdopen(os.open(target, flags, 0o600), "wb")


@contextmanager
def staged(url: str) -> Iterator[StagedCopy]:
    """Copy the model at ``url`` into a private temporary directory (removed on exit)."""
    from mbom.hashing._location import open_location

    location = open_location(url)
    root = location.stat_root()
    if not root.exists:
        shown = location.display
        raise InputError(f"model {shown}: no such object or prefix", path=shown)
    with private_workdir("mbom-model-") as (_, base):
        listed = sorted(location.find(), key=lambda item: item.rel)
        versions = {item.rel: _copy(location, item, base) for item in listed}
        _check_unchanged(location, listed)
        path = base if root.is_directory else os.path.join(base, listed[0].rel)
        yield StagedCopy(
            url=location.display,
            path=path,
            is_directory=root.is_directory,
            versions=versions,
        )


def _copy(location, item, base: str) -> tuple[tuple[str, str], ...] | None:
    """Stream one object to ``base/rel``; the size read must be the size listed. Returns the
    version the store named while serving it (the listing's when it named none)."""
    rel = check_relative_name(item.rel)
    copied = 0
    with location.open(item) as source, create_private(base, rel) as sink:
        while chunk := source.read(_CHUNK):
            sink.write(chunk)
            copied += len(chunk)
    if copied != item.size:
        raise ObjectChangedError(
            f"{location.display}/{rel}: changed while being read ({copied} bytes read, "
            f"{item.size} listed)",
            path=rel,
            expected=str(item.size),
            actual=str(copied),
        )
    return getattr(source, "version", None) or item.version


def _check_unchanged(location, listed) -> None:
    """List again: every object must still have the size and version that was copied."""
    before = {item.rel: item for item in listed}
    after = {item.rel: item for item in location.find()}
    for rel, item in before.items():
        now = after.get(rel)
        if now is None or now.size != item.size or (item.version and now.version != item.version):
            actual = "deleted" if now is None else f"size {now.size}, version {_show(now.version)}"
            raise ObjectChangedError(
                f"{location.display}/{rel}: changed while the model was read",
                path=rel,
                expected=f"size {item.size}, version {_show(item.version)}",
                actual=actual,
            )
    added = sorted(set(after) - set(before))
    if added:
        raise ObjectChangedError(
            f"{location.display}/{added[0]}: appeared while the model was read", path=added[0]
        )


def _show(version: tuple[tuple[str, str], ...] | None) -> str:
    return ",".join(f"{k}={v}" for k, v in version) if version else "none"
