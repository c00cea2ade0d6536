"""The few calls a remote location needs, over any fsspec filesystem (S3 has its own).

:class:`RemoteLocation <mbom.hashing._remote.RemoteLocation>` checks names, pipelines
reads and detects changes; an *ops* object only talks to the store, with paths relative to the
root ("" is the root itself when it is one object):

* ``stat_root()`` -- what the root is; ``level(rel)`` -- one directory level;
  ``iter_all()`` -- every object, streamed (raw names: the caller validates them);
* ``read(rel, start, end, pin)`` -- bytes ``[start, end)`` (whole object when ``start`` is
  None), and the version the response carried, if any;
* ``head(rel)`` -- (size, version) now, bypassing any listing cache.

Version identity comes from the backend's info dicts (:func:`version_from_info`), the same
for S3 (s3fs), GCS (gcsfs), Azure (adlfs), HTTP and the Hugging Face Hub.
"""

from __future__ import annotations

import datetime
import posixpath
from collections.abc import Iterator, Mapping
from typing import Any

from mbom.hashing._location import VERSION_FIELDS, RootInfo
from mbom.hashing._retry import with_retries

Version = tuple[tuple[str, str], ...]
#: (raw relative name, size, version) as a listing yields it.
Entry = tuple[str, int, Version | None]

#: Info-dict keys each version field is read from, across fsspec backends.
INFO_KEYS: Mapping[str, tuple[str, ...]] = {
    "versionId": ("VersionId", "version_id", "versionId"),
    "etag": ("ETag", "etag", "Etag"),
    "generation": ("generation",),
    "commit": ("commit",),
    "lastModified": ("LastModified", "Last-Modified", "last_modified", "updated"),
}


def _text(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    text = str(value)
    if len(text) >= 2 and text[0] == text[-1] == '"':  # S3 / HTTP quote their ETags
        text = text[1:-1]
    return text


def version_from_info(info: Mapping[str, Any]) -> Version | None:
    """The version fields found in an fsspec info dict, in :data:`VERSION_FIELDS` order.

    ``lastModified`` is kept only when nothing stronger identifies the object (HTTP servers
    without an ETag): a timestamp alone is weak, beside an ETag it is noise.
    """
    found: dict[str, str] = {}
    for field in VERSION_FIELDS:
        for key in INFO_KEYS[field]:
            value = info.get(key)
            if value not in (None, "", "null"):
                found[field] = _text(value)
                break
    if len(found) > 1:
        found.pop("lastModified", None)
    return tuple(found.items()) or None


class FsspecOps:
    """Store calls through an fsspec filesystem's public API (listing one level at a time)."""

    def __init__(self, protocol: str, root: str, options: Mapping[str, Any]) -> None:
        self.protocol, self.root, self.options = protocol, root.rstrip("/"), dict(options)
        self._fs: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "root": self.root, "options": self.options}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["protocol"], state["root"], state["options"])  # type: ignore[misc]

    @property
    def fs(self) -> Any:
        if self._fs is None:
            import fsspec

            self._fs = fsspec.filesystem(self.protocol, **self.options)
        return self._fs

    def path(self, rel: str) -> str:
        return posixpath.join(self.root, rel) if rel else self.root

    def version(self, info: Mapping[str, Any]) -> Version | None:
        return version_from_info(info)

    def stat_root(self) -> RootInfo:
        try:
            info = self.fs.info(self.root)
        except FileNotFoundError:
            if self.protocol in ("http", "https"):  # fsspec says "not found" for any refusal:
                self.fs.cat_file(self.root, start=0, end=1)  # raises the real status
            return RootInfo(False, False)
        if info.get("type") == "directory":
            return RootInfo(True, True)
        return RootInfo(True, False, int(info.get("size") or 0), self.version(info))

    def level(self, rel: str) -> tuple[list[str], list[Entry]]:
        base = self.path(rel)
        dirs: list[str] = []
        objects: list[Entry] = []
        for info in self.fs.ls(base, detail=True):
            name = str(info["name"]).rstrip("/")
            if not name.startswith(base + "/"):
                continue  # the directory itself, or a link elsewhere (HTTP index pages)
            child = name[len(self.root) + 1 :]
            if info.get("type") == "directory":
                dirs.append(child)
            else:
                objects.append((child, int(info.get("size") or 0), self.version(info)))
        return dirs, objects

    def iter_all(self) -> Iterator[Entry]:
        pending = [""]
        while pending:
            rel = pending.pop()
            dirs, objects = with_retries(lambda rel=rel: self.level(rel))[0]
            pending.extend(dirs)
            yield from objects

    def read(
        self, rel: str, start: int | None, end: int | None, pin: Version | None
    ) -> tuple[bytes, Version | None]:
        path = self.path(rel)
        if start is None:
            return bytes(self.fs.cat_file(path)), None
        data = bytes(self.fs.cat_file(path, start=start, end=end))
        if len(data) > end - start:  # type: ignore[operator]
            raise OSError("the server ignored the byte range asked for (no Range support)")
        return data, None

    def head(self, rel: str) -> tuple[int, Version | None]:
        path = self.path(rel)
        self.fs.invalidate_cache(path)
        info = self.fs.info(path)
        return int(info.get("size") or 0), self.version(info)


class HubOps(FsspecOps):
    """The Hugging Face Hub: the revision is resolved to a commit once, and every read and
    every recorded version names that commit (a branch may move while the tree is hashed)."""

    commit: str | None = None

    def __getstate__(self) -> dict[str, Any]:
        # The driver resolved the commit in stat_root(); workers read that same commit.
        return {**super().__getstate__(), "commit": self.commit}

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self.commit = state.get("commit")

    def _pin(self) -> None:
        if self.commit is not None:
            return
        resolved = self.fs.resolve_path(self.root)
        revision = resolved.revision
        if not (len(revision) == 40 and all(c in "0123456789abcdef" for c in revision)):
            from huggingface_hub import HfApi

            info = HfApi().repo_info(
                resolved.repo_id, repo_type=resolved.repo_type, revision=revision
            )
            revision = info.sha
        self.commit = revision
        prefix = "" if resolved.repo_type == "model" else f"{resolved.repo_type}s/"
        inner = f"/{resolved.path_in_repo}" if resolved.path_in_repo else ""
        self.root = f"{prefix}{resolved.repo_id}@{revision}{inner}"

    def version(self, info: Mapping[str, Any]) -> Version | None:
        self._pin()
        lfs = info.get("lfs") or {}
        blob = lfs.get("sha256") if isinstance(lfs, Mapping) else None
        fields = {"commit": self.commit, "etag": blob or info.get("blob_id")}
        return version_from_info(fields)

    def stat_root(self) -> RootInfo:
        self._pin()
        return super().stat_root()
