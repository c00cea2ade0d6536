"""Digest one batch of remote objects from their spans, and check each against its listing.

:class:`BatchHasher` is what :meth:`RemoteLocation.hash_objects
<mbom.hashing._remote.RemoteLocation.hash_objects>` feeds the read window with: it fetches a
span (pinned to the listed version), consumes spans in order into each object's digests, and
when an object's last span is hashed, decides whether the bytes still are the listed object:
same size, and no version field (ETag, VersionId, generation, commit) that differs between
the listing, the responses and, for objects read in several ranges or from stores whose
responses carry no version, a final re-head.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mbom.errors import InputError, ObjectChangedError, RemoteAccessError
from mbom.hashing import FileDigest
from mbom.hashing._algorithms import new_hasher
from mbom.hashing._location import VERSION_FIELDS, Listed, failed_digest
from mbom.hashing._remote_ops import Version
from mbom.hashing._remote_read import Span
from mbom.hashing._retry import is_missing, reason

if TYPE_CHECKING:
    from mbom.hashing._remote import RemoteLocation

FAILED = -1


def agree(a: Version | None, b: Version | None) -> bool:
    """No version field present in both differs."""
    if not a or not b:
        return True
    other = dict(b)
    return all(other.get(name, value) == value for name, value in a)


def merge(first: Version | None, second: Version | None) -> Version | None:
    """Fields of ``first``, plus those only ``second`` has, in :data:`VERSION_FIELDS` order."""
    fields = {**dict(second or ()), **dict(first or ())}
    if len(fields) > 1:
        fields.pop("lastModified", None)
    return tuple((name, fields[name]) for name in VERSION_FIELDS if name in fields) or None


def describe(size: int | None, version: Version | None) -> str:
    parts = [f"size {size}" if size is not None else "no object"]
    parts += [f"{name} {value}" for name, value in version or ()]
    return ", ".join(parts)


def _precondition_failed(exc: BaseException) -> bool:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return error.get("Code") == "PreconditionFailed" or status == 412
    return getattr(exc, "status", None) == 412


class _Open:
    """An object whose spans are being hashed."""

    __slots__ = ("hashers", "size", "version")

    def __init__(self, algorithms: Sequence[str]) -> None:
        self.hashers = [new_hasher(name) for name in algorithms]
        self.size = 0
        self.version: Version | None = None


class BatchHasher:
    """State of one ``hash_objects`` call: open digests, results, failures."""

    def __init__(
        self,
        location: RemoteLocation,
        objects: Sequence[Listed],
        algorithms: tuple[str, ...],
        single: bool,
        progress: Callable[[int], None] | None,
        tolerant: bool,
    ) -> None:
        self.location, self.objects, self.algorithms = location, objects, algorithms
        self.single, self.progress, self.tolerant = single, progress, tolerant
        self.failed: dict[int, str] = {}
        self._open: dict[int, _Open] = {}
        self._out: list[FileDigest | None] = [None] * len(objects)

    def _rel(self, index: int) -> str:
        return "" if self.single else self.objects[index].rel

    def fetch(self, span: Span) -> tuple[bytes, Version | None]:
        index = span.index
        return self.location.read_span(self._rel(index), span, self.objects[index].version)

    def consume(self, span: Span, result: Any, error: BaseException | None) -> None:
        index = span.index
        if index in self.failed:
            return
        try:
            if error is not None:
                raise self._read_error(index, error)
            self._update(span, *result)
        except InputError as exc:
            self._open.pop(index, None)
            if not self.tolerant:
                raise
            self.failed[index] = exc.message
            self._out[index] = failed_digest(self.objects[index].rel, exc.message)

    def results(self) -> list[FileDigest]:
        return self._out  # type: ignore[return-value]  # every slot is filled by now

    def _update(self, span: Span, data: bytes, version: Version | None) -> None:
        index = span.index
        state = self._open.get(index)
        if state is None:
            state = self._open[index] = _Open(self.algorithms)
        if span.start is not None and len(data) != span.end - span.start:  # type: ignore[operator]
            raise self._changed(index, state.size + len(data), version)
        if state.version is None:
            state.version = version
        elif not agree(state.version, version):
            raise self._changed(index, None, version)
        for hasher in state.hashers:
            hasher.update(data)
        state.size += len(data)
        if self.progress is not None:
            self.progress(len(data))
        if span.last:
            del self._open[index]
            self._out[index] = self._finish(index, state, ranged=span.start is not None)

    def _finish(self, index: int, state: _Open, *, ranged: bool) -> FileDigest:
        listed = self.objects[index]
        size, version = state.size, state.version
        if ranged or version is None:  # ask the store what the object is now
            now = self.location.head(self._rel(index))
            if now is None:
                raise self._changed(index, None, None)
            if now[0] != size or not agree(version, now[1]):
                raise self._changed(index, now[0], now[1])
            version = merge(version, now[1])
        if size != listed.size or not agree(listed.version, version):
            raise self._changed(index, size, version)
        digests = {name: h.hexdigest() for name, h in zip(self.algorithms, state.hashers)}
        return FileDigest(listed.rel, size, digests, None, None, merge(version, listed.version))

    def _changed(self, index: int, size: int | None, version: Version | None) -> ObjectChangedError:
        listed = self.objects[index]
        where = self.location._where(listed.rel)
        expected, actual = describe(listed.size, listed.version), describe(size, version)
        return ObjectChangedError(
            f"{where}: changed while it was hashed: expected {expected}; found {actual}",
            path=where,
            expected=expected,
            actual=actual,
        )

    def _read_error(self, index: int, error: BaseException) -> InputError:
        if isinstance(error, InputError):
            return error
        rel = self._rel(index)
        if _precondition_failed(error) or is_missing(error):
            try:
                now = self.location.head(rel)
            except Exception:
                now = None
            return self._changed(index, *(now or (None, None)))
        where = self.location._where(self.objects[index].rel)
        return RemoteAccessError(
            f"{where}: cannot read: {reason(error, self.location._url)}", path=where
        )
