"""Where a tree's bytes live: the one reader interface under hashing (local, object store, Hub).

Usage::

    from mbom.hashing._location import open_location

    location = open_location("s3://bucket/datasets/imagenet/")   # or a local path, file://...
    root = location.stat_root()              # RootInfo: exists, is_directory, size
    dirs, objects = location.list_dir("")    # one level: sub-directories and objects
    for listed in location.find():           # every object under the root, streamed
        ...
    digests = location.hash_objects(batch, ("sha256",))   # list[FileDigest], same order

The shape follows fsspec's (``info``, ``find``, ``open``, ``cat_ranges``) so any fsspec
filesystem fits behind it; a local directory keeps its fast ``scandir`` + forked-worker path
(:mod:`mbom.hashing._engine`). The layers above (capture, bom, verify) never learn where bytes
came from: they see :class:`~mbom.hashing.FileDigest` records, whose ``version`` names the
exact object version that was hashed (S3 VersionId / ETag, GCS generation, Hub commit).

Contract every implementation keeps:

* ``display`` is the location as it may be recorded and printed: no credentials, no query
  string, no user info (a presigned URL's signature never reaches a BOM, a log or an error);
* listing is streamed and may be unordered (the caller sorts, with bounded memory);
* ``hash_objects`` reads each object itself (workers read, the driver never does), with
  bounded memory whatever the object size, retries transient errors with backoff, and raises
  :class:`mbom.errors.ObjectChangedError` naming the object when its size or version at the
  end of the read differs from the listing; every other final failure is an
  :class:`mbom.errors.InputError` naming the object (``tolerant``: a verifier's FAILED entry);
* ``find_ignored()`` (optional): the paths the location's ignore rules left out, sorted or
  not (:class:`~mbom.hashing._local.LocalLocation` has it; the driver records them);
* a Location is picklable (it is shipped to Dask workers) and holds no open connections
  when pickled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, BinaryIO, NamedTuple, Protocol

if TYPE_CHECKING:
    from mbom.hashing import FileDigest

#: Object version fields, in the order they are recorded (a tuple of (name, value) pairs).
VERSION_FIELDS = ("versionId", "etag", "generation", "commit", "lastModified")


class Listed(NamedTuple):
    """One object found by a listing (a named tuple: a listing may hold millions)."""

    rel: str
    """POSIX path relative to the root (the object's own name when the root is one object)."""
    size: int
    version: tuple[tuple[str, str], ...] | None = None
    """What identifies this exact version, from the listing (see :data:`VERSION_FIELDS`)."""


class RootInfo(NamedTuple):
    """What the root of a location is."""

    exists: bool
    is_directory: bool
    size: int = 0
    version: tuple[tuple[str, str], ...] | None = None


class Location(Protocol):
    """A tree (or one object) somewhere: see the module docstring for the contract."""

    display: str
    scheme: str  # "file" for a local path

    @property
    def is_local(self) -> bool: ...

    def stat_root(self) -> RootInfo: ...

    def list_dir(self, rel: str) -> tuple[list[str], list[Listed]]:
        """One level under ``rel`` ("" = the root): sub-directory rel paths and objects."""

    def find(self) -> Iterator[Listed]:
        """Every object under the root, streamed (any order)."""

    def open(self, listed: Listed) -> BinaryIO:
        """A binary file object over exactly the listed version (pinned where the store can)."""

    def hash_objects(
        self,
        objects: Sequence[Listed],
        algorithms: Sequence[str],
        *,
        progress: Callable[[int], None] | None = None,
        tolerant: bool = False,
    ) -> list[FileDigest]:
        """Digest each object (same order); ``FileDigest.version`` set from what was read."""


#: ``FileDigest.size`` of an object that could not be read (``hash_objects(tolerant=True)``).
FAILED_SIZE = -1


def failed_digest(rel: str, reason: str) -> FileDigest:
    """What ``hash_objects(tolerant=True)`` returns for an object it could not read."""
    from mbom.hashing import FileDigest

    return FileDigest(rel, FAILED_SIZE, {}, None, None, (("error", reason),))


def failure(entry: FileDigest) -> str | None:
    """The one-line reason when ``entry`` is a :func:`failed_digest`, else None."""
    if entry.size != FAILED_SIZE:
        return None
    return dict(entry.version or ()).get("error", "could not be read")


def is_remote(location: str) -> bool:
    """Whether ``location`` names a URL scheme other than ``file://`` (e.g. ``s3://``)."""
    import re

    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", location)) and not location.startswith(
        "file://"
    )


def open_location(location: str) -> Location:
    """The :class:`Location` for a local path, ``file://`` URL or fsspec URL."""
    if is_remote(location):
        from mbom.hashing._remote import RemoteLocation

        return RemoteLocation.from_url(location)
    from mbom.hashing._local import LocalLocation

    return LocalLocation(location.removeprefix("file://"))
