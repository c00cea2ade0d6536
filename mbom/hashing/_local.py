"""A local (or shared-filesystem) tree as a Location: the same walk and engine as hash_tree.

Usage::

    from mbom.hashing._local import LocalLocation
    from mbom.hashing._stream import hash_location

    tree = hash_location(LocalLocation("data/"), ("sha256",))   # == hash_tree("data/")

Listing applies the walk's rules (:mod:`mbom.hashing._walk`: ignore set, ``.mbomignore``,
links never followed and refused when they leave the root, ``follow_within``); hashing uses
:func:`mbom.hashing._engine.hash_files` (forked workers for many small files). This is what
an executor such as Dask uses for a tree every worker can read at the same path; a plain
``hash_tree`` of a local path keeps its own batched fast path and gives the same bytes.
A walk anomaly (escaping link, special file) is an error here, also when ``tolerant``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from mbom.errors import InputError, ObjectChangedError, SymlinkEscapeError
from mbom.hashing._algorithms import digest_bytes
from mbom.hashing._engine import FAILED, hash_files
from mbom.hashing._location import Listed, RootInfo, failed_digest
from mbom.hashing._walk import _followed_file, _inside, _Walker, stream_walk

if TYPE_CHECKING:
    from mbom.hashing import FileDigest


class LocalLocation:
    """A local file or directory (see the module docstring); picklable, holds nothing open."""

    scheme = "file"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        use_ignore: bool = True,
        extra_ignore: Sequence[str] = (),
        follow_within: str | None = None,
        ignore_file: bool = True,
    ) -> None:
        self.display = os.fspath(path)
        self.root = os.path.abspath(self.display)
        self.use_ignore, self.extra_ignore = use_ignore, tuple(extra_ignore)
        self.follow_within, self.ignore_file = follow_within, ignore_file

    @property
    def is_local(self) -> bool:
        return True

    def stat_root(self) -> RootInfo:
        try:
            st = os.stat(self.root)
        except OSError:
            return RootInfo(False, False)
        is_dir = os.path.isdir(self.root)
        return RootInfo(True, is_dir, 0 if is_dir else st.st_size)

    def _walk(self) -> Iterator:
        return stream_walk(
            self.root,
            use_ignore=self.use_ignore,
            extra_ignore=self.extra_ignore,
            follow_within=self.follow_within,
            ignore_file=self.ignore_file,
        )

    def find(self) -> Iterator[Listed]:
        if not os.path.isdir(self.root):
            yield Listed(os.path.basename(self.root), os.stat(self.root).st_size)
            return
        for piece in self._walk():
            for rel, path in piece.files:
                yield Listed(rel, os.stat(path).st_size)
            for rel, target in piece.links:
                yield Listed(rel, len(target.encode("utf-8", "surrogateescape")))

    def find_ignored(self) -> Iterator[str]:
        """The paths the ignore rules leave out (a second walk: listing only)."""
        if os.path.isdir(self.root) and self.use_ignore:
            for piece in self._walk():
                yield from piece.ignored

    def list_dir(self, rel: str) -> tuple[list[str], list[Listed]]:
        """One level under ``rel``, with the walk's rules: (sub-directories, objects)."""
        walker = _Walker(self.root, self.follow_within, None)
        if self.use_ignore:
            from mbom.hashing._ignore import producer_ignore

            walker.producer = producer_ignore(
                self.root, self.extra_ignore, ignore_file=self.ignore_file
            )
        else:
            walker.defaults = False
        prefix = rel.strip("/") + "/" if rel.strip("/") else ""
        stack: list[tuple[str, str]] = []
        with os.scandir(os.path.join(self.root, prefix)) as entries:
            for entry in entries:
                walker.visit(entry, prefix + entry.name, stack)
        objects = [Listed(r, os.stat(p).st_size) for r, p in walker.files]
        objects += [Listed(r, len(t.encode("utf-8", "surrogateescape"))) for r, t in walker.links]
        return [sub.rstrip("/") for _path, sub in stack], objects

    def hash_objects(
        self,
        objects: Sequence[Listed],
        algorithms: Sequence[str],
        *,
        progress: Callable[[int], None] | None = None,
        tolerant: bool = False,
    ) -> list[FileDigest]:
        """Digest each object (same order): files by the engine, links as their target."""
        from mbom.hashing import FileDigest

        names = tuple(algorithms)
        single = not os.path.isdir(self.root)
        out: list[FileDigest | None] = [None] * len(objects)
        rows: list[tuple[int, str]] = []
        for index, listed in enumerate(objects):
            path = self.root if single else os.path.join(self.root, listed.rel)
            link = not single and os.path.islink(path)
            followed = (
                _followed_file(path, os.path.realpath(self.follow_within))
                if (link and self.follow_within is not None)
                else None
            )
            if link and followed is None:
                out[index] = self._link(listed.rel, path, names, tolerant)
            else:
                rows.append((index, followed or path))
        results = hash_files(
            [path for _index, path in rows],
            names,
            workers=None,
            progress=progress,
            follow_symlinks=single,
            tolerant=tolerant,
        )
        for (index, path), r in zip(rows, results):
            listed = objects[index]
            if r[0] == FAILED:
                out[index] = failed_digest(listed.rel, r[2][0])
                continue
            if listed.size >= 0 and r[0] != listed.size:
                raise ObjectChangedError(
                    f"{path}: changed while it was hashed (size {listed.size} -> {r[0]})",
                    path=path,
                    expected=str(listed.size),
                    actual=str(r[0]),
                )
            out[index] = FileDigest(listed.rel, r[0], dict(zip(names, r[2])), None, r[5], None)
        return out  # type: ignore[return-value]  # every slot was filled

    def _link(self, rel: str, path: str, names: tuple[str, ...], tolerant: bool) -> FileDigest:
        from mbom.hashing import FileDigest

        try:
            stored = os.readlink(path)
        except OSError as exc:
            if tolerant:
                return failed_digest(rel, exc.strerror or str(exc))
            raise InputError(f"{path}: {exc.strerror}", path=path) from None
        if not _inside(os.path.realpath(path), os.path.realpath(self.root)):
            raise SymlinkEscapeError(rel, stored)
        encoded = stored.encode("utf-8", "surrogateescape")
        digests = {name: digest_bytes(name, encoded).hex() for name in names}
        return FileDigest(rel, len(encoded), digests, stored)
