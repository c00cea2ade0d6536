"""A tree or one object in a remote store, through fsspec: S3, GCS, Azure, HTTP(S), the Hub.

Usage::

    location = RemoteLocation.from_url("s3://bucket/datasets/imagenet/")
    for listed in location.find():                       # streamed, one page at a time
        ...
    digests = location.hash_objects(batch, ("sha256",))   # FileDigest per object, same order

What it guarantees (the :mod:`mbom.hashing._location` contract):

* **Names** -- every object name is a clean POSIX path under the root (a key such as
  ``../x`` or ``a//b`` is an input error naming it); directory placeholder keys (ending in
  ``/``) are skipped; the default ignore set (mbom's own output files) is left out.
* **Versions** -- each FileDigest records what identifies the bytes that were read: S3
  VersionId (versioned buckets) and ETag, GCS generation, Azure version / ETag, the Hub
  commit, an HTTP ETag (or Last-Modified when there is none).
* **Changes** -- reads are pinned to the listed version where the store allows it (S3
  ``IfMatch`` / ``VersionId``); at the end the size and version are compared with the listing
  (objects read in several ranges, and every object of a store whose responses carry no
  version, are asked again): a difference is :class:`~mbom.errors.ObjectChangedError`
  naming the object, expected and actual.
* **Failures** -- transient errors are retried (:mod:`mbom.hashing._retry`); a final failure
  is :class:`~mbom.errors.RemoteAccessError` naming the object and the reason in one line.
  ``tolerant=True`` (a verifier) returns, for an object that failed or changed,
  :func:`mbom.hashing._location.failed_digest` instead.
* **Credentials** never appear in ``display`` or in any message (:mod:`mbom.hashing._redact`);
  the location pickles without clients (Dask ships it to workers).
"""

from __future__ import annotations

import importlib
import io
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mbom.errors import InputError, RemoteAccessError
from mbom.hashing._ignore import DEFAULT_IGNORE_SUFFIXES, is_loadable
from mbom.hashing._location import Listed, RootInfo
from mbom.hashing._redact import display_url
from mbom.hashing._remote_ops import Entry, FsspecOps, HubOps, Version
from mbom.hashing._remote_read import BLOCK, Span, concurrency, run_window, spans
from mbom.hashing._retry import is_missing, reason, with_retries

if TYPE_CHECKING:
    from mbom.hashing import FileDigest

FAILED = -1

#: URL scheme -> (fsspec protocol, package it needs, mbom extra that installs it).
BACKENDS: dict[str, tuple[str, str, str]] = {
    "s3": ("s3", "s3fs", "s3"),
    "s3a": ("s3", "s3fs", "s3"),
    "gs": ("gcs", "gcsfs", "gcs"),
    "gcs": ("gcs", "gcsfs", "gcs"),
    "az": ("abfs", "adlfs", "azure"),
    "abfs": ("abfs", "adlfs", "azure"),
    "abfss": ("abfs", "adlfs", "azure"),
    "http": ("http", "aiohttp", "http"),
    "https": ("https", "aiohttp", "http"),
    "hf": ("hf", "huggingface_hub", "hf-hub"),
}
#: Schemes whose URL user part names a container, not a credential (abfs://container@account).
_USER_IS_CONTAINER = frozenset({"az", "abfs", "abfss"})


def _require(scheme: str, package: str, extra: str) -> None:
    """Import the backend's package, or say in one line how to install it."""
    for name in ("fsspec", package):
        try:
            importlib.import_module(name)
        except ImportError:
            how = f"'mbom[{extra}]'" if extra else name
            raise InputError(f"{scheme}:// needs {name}: pip install {how}") from None


class RemoteLocation:
    """A remote tree or object; see the module docstring for what it guarantees."""

    is_local = False

    def __init__(self, url: str, display: str, scheme: str, ops: Any) -> None:
        self._url, self.display, self.scheme, self.ops = url, display, scheme, ops
        self._root: RootInfo | None = None
        self.ignored: list[str] = []
        """Names left out by the default ignore set (mbom output files: few)."""

    @classmethod
    def from_url(cls, url: str) -> RemoteLocation:
        """The location ``url`` names; no network access until it is used."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        keep_user = scheme in _USER_IS_CONTAINER and parts.password is None
        display = display_url(url) if not keep_user else f"{scheme}://{parts.netloc}{parts.path}"
        protocol, package, extra = BACKENDS.get(scheme, (scheme, "fsspec", ""))
        _require(scheme, package, extra)
        if scheme not in BACKENDS:
            import fsspec

            if scheme not in fsspec.available_protocols():
                raise InputError(f"{display}: unsupported URL scheme {scheme!r}")
        if not parts.netloc:
            raise InputError(f"{display}: no bucket, container or host in the URL")
        if (parts.username or parts.password) and scheme not in ("http", "https") and not keep_user:
            raise InputError(
                f"{display}: credentials in the URL are not accepted; use the environment, "
                "a profile or instance metadata"
            )
        if protocol == "s3":
            from mbom.hashing._remote_s3 import S3Ops

            ops: Any = S3Ops(parts.hostname or parts.netloc, parts.path)
        elif protocol in ("http", "https"):
            ops = FsspecOps(protocol, url, {})
        else:
            import fsspec

            fs_class = fsspec.get_filesystem_class(protocol)
            options = fs_class._get_kwargs_from_urls(url)
            root = fs_class._strip_protocol(url)
            ops = (HubOps if protocol == "hf" else FsspecOps)(protocol, root, options)
        return cls(url, display.rstrip("/") or display, scheme, ops)

    def __getstate__(self) -> dict[str, Any]:
        return {
            "url": self._url,
            "display": self.display,
            "scheme": self.scheme,
            "ops": self.ops,
            "root": self._root,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["url"], state["display"], state["scheme"], state["ops"])  # type: ignore[misc]
        self._root = state["root"]

    def __repr__(self) -> str:
        return f"RemoteLocation({self.display!r})"

    # -- errors ---------------------------------------------------------------------------

    def _where(self, rel: str) -> str:
        root = self._root
        return (
            self.display if root is not None and not root.is_directory else f"{self.display}/{rel}"
        )

    def _access_error(self, exc: BaseException, what: str, rel: str | None = None) -> InputError:
        if isinstance(exc, InputError):
            return exc
        where = self.display if rel is None else self._where(rel)
        return RemoteAccessError(f"{where}: {what}: {reason(exc, self._url)}", path=where)

    # -- listing --------------------------------------------------------------------------

    def stat_root(self) -> RootInfo:
        """What the root is (cached: a Location asked twice must not see two answers)."""
        if self._root is None:
            try:
                root, _ = with_retries(self.ops.stat_root)
            except Exception as exc:
                raise self._access_error(exc, "cannot read") from None
            if not root.exists:
                raise InputError(f"{self.display}: no such object or prefix", path=self.display)
            self._root = root
        return self._root

    def _checked(self, raw: str, shown: str) -> str:
        """``raw`` if it is a clean POSIX path under the root, else an error naming it."""
        from mbom.paths import check_relative_name

        try:
            if check_relative_name(raw) == raw:
                return raw
        except InputError:
            pass
        raise InputError(
            f"{self.display}: object name {shown!r} is not a clean relative path "
            "(empty, '.' or '..' parts, a leading '/' or a backslash)",
            path=self.display,
        )

    def _name(self, raw: str) -> str | None:
        """The checked name of a listed key; None for a placeholder or an ignored file."""
        if not raw or raw.endswith("/"):
            return None
        self._checked(raw, raw)
        if raw.endswith(DEFAULT_IGNORE_SUFFIXES) and not is_loadable(raw):
            self.ignored.append(raw)
            return None
        return raw

    def _listed(self, entries: Iterator[Entry] | list[Entry]) -> Iterator[Listed]:
        for raw, size, version in entries:
            name = self._name(raw)
            if name is not None:
                yield Listed(name, size, version)

    def _single(self) -> Listed | None:
        root = self.stat_root()
        if root.is_directory:
            return None
        name = self.display.rstrip("/").rpartition("/")[2]
        return Listed(name, root.size, root.version)

    def list_dir(self, rel: str) -> tuple[list[str], list[Listed]]:
        """One level under ``rel`` ("" = the root): sub-directory rel paths and objects."""
        single = self._single()
        if single is not None:
            return [], [single] if not rel else []
        try:
            dirs, entries = with_retries(lambda: self.ops.level(rel))[0]
        except Exception as exc:
            raise self._access_error(exc, "cannot list", rel or None) from None
        return [self._checked(d, d + "/") for d in dirs], list(self._listed(entries))

    def find(self) -> Iterator[Listed]:
        """Every object under the root, streamed one listing page at a time."""
        single = self._single()
        if single is not None:
            yield single
            return
        try:
            yield from self._listed(self.ops.iter_all())
        except InputError:
            raise
        except Exception as exc:
            raise self._access_error(exc, "cannot list") from None

    # -- hashing --------------------------------------------------------------------------

    def hash_objects(
        self,
        objects: Sequence[Listed],
        algorithms: Sequence[str],
        *,
        progress: Callable[[int], None] | None = None,
        tolerant: bool = False,
    ) -> list[FileDigest]:
        """Digest each object (same order), reading it in pinned, bounded, parallel ranges."""
        from mbom.hashing._remote_hash import BatchHasher

        single = self._single() is not None
        batch = BatchHasher(self, objects, tuple(algorithms), single, progress, tolerant)
        run_window(
            spans(objects),
            batch.fetch,
            batch.consume,
            workers=min(concurrency(), max(1, len(objects)) * 8),
            skip=batch.failed.__contains__,
        )
        return batch.results()

    def open(self, listed: Listed) -> _ObjectReader:
        """A read-only binary stream over exactly the listed version (ranged, pinned, retried)."""
        rel = "" if self._single() is not None else listed.rel
        return _ObjectReader(self, rel, listed)

    def read_span(self, rel: str, span: Span, pin: Version | None) -> tuple[bytes, Version | None]:
        """One request (retried) for ``span`` of object ``rel`` ("" = the root object)."""
        return with_retries(lambda: self.ops.read(rel, span.start, span.end, pin))[0]

    def head(self, rel: str) -> tuple[int, Version | None] | None:
        """(size, version) of object ``rel`` now; None when it no longer exists."""
        try:
            return with_retries(lambda: self.ops.head(rel))[0]
        except Exception as exc:
            if is_missing(exc):
                return None
            raise


class _ObjectReader(io.RawIOBase):
    """Sequential reads of one object in :data:`BLOCK`-sized ranged requests, each pinned to
    the listed version (an object replaced meanwhile fails the request, it is not mixed in)."""

    def __init__(self, location: RemoteLocation, rel: str, listed: Listed) -> None:
        super().__init__()
        self._location, self._rel, self._listed = location, rel, listed
        self._offset, self._buffer = 0, b""
        self.version: Version | None = listed.version
        """The version the responses named (S3 adds the VersionId a listing lacks)."""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        want = self._listed.size - self._offset + len(self._buffer) if size < 0 else size
        while len(self._buffer) < want and self._offset < self._listed.size:
            end = min(self._offset + BLOCK, self._listed.size)
            span = Span(0, self._offset, end, end == self._listed.size, end - self._offset)
            data, version = self._location.read_span(self._rel, span, self._listed.version)
            self.version = version or self.version
            if not data:
                break
            self._buffer += data
            self._offset += len(data)
        chunk, self._buffer = self._buffer[:want], self._buffer[want:]
        return chunk
