"""S3 (and S3-compatible stores) through s3fs's client: paged listing and pinned ranged GETs.

s3fs's ``find`` / ``walk`` collect a whole prefix in memory before returning; here every
listing is ``list_objects_v2`` page by page (1,000 keys), streamed, so memory is one page
whatever the object count. Reads call ``get_object`` directly because its response carries
what identifies the bytes (``VersionId``, ``ETag``) and because a ranged GET can be pinned:
``IfMatch`` = the listed ETag (and ``VersionId`` when the listing had one), so a range of a
newer object is refused (412) instead of silently mixed into the digest.

Credentials and the endpoint come from botocore's usual chains (environment, profiles, SSO,
instance metadata; ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_S3``), or
``MBOM_S3_ENDPOINT_URL``; never from the URL or the BOM. Retries are mbom's
(:mod:`mbom.hashing._retry`): botocore's own are turned off so attempts do not multiply.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

from mbom.hashing._location import RootInfo
from mbom.hashing._remote_ops import Entry, Version, version_from_info
from mbom.hashing._retry import with_retries

PAGE = 1000


class S3Ops:
    """Calls on one bucket under one key prefix (the root)."""

    def __init__(self, bucket: str, key: str, options: dict[str, Any] | None = None) -> None:
        self.bucket, self.key, self.options = bucket, key.strip("/"), dict(options or {})
        self.directory = key.endswith("/")  # "s3://b/prefix/" names a prefix, never an object
        self._fs: Any = None
        self._client: Any = None
        self._pid = 0  # the process the client belongs to (a forked child reconnects)
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        key = self.key + "/" if self.directory else self.key
        return {"bucket": self.bucket, "key": key, "options": self.options}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["bucket"], state["key"], state["options"])  # type: ignore[misc]

    def _call(self, method: str, **kwargs: Any) -> Any:
        """One client call, run on s3fs's event loop (a blocking call for this thread)."""
        from fsspec.asyn import sync

        if self._client is None or self._pid != os.getpid():
            with self._lock:
                if self._client is None or self._pid != os.getpid():
                    self._connect()
        return sync(self._fs.loop, getattr(self._client, method), **kwargs)

    def _connect(self) -> None:
        import s3fs
        from fsspec.asyn import sync

        options = dict(self.options)
        endpoint = os.environ.get("MBOM_S3_ENDPOINT_URL")
        if endpoint:
            options.setdefault("endpoint_url", endpoint)
        config = options["config_kwargs"] = dict(options.get("config_kwargs") or {})
        config.setdefault("retries", {"total_max_attempts": 1})
        config.setdefault("max_pool_connections", 64)
        # A fresh instance: a cached one would keep the credentials it first resolved.
        fs = s3fs.S3FileSystem(skip_instance_cache=True, **options)
        self._client = sync(fs.loop, fs.set_session)
        self._fs, self._pid = fs, os.getpid()

    def _prefix(self, rel: str) -> str:
        inner = f"{self.key}/{rel}" if self.key and rel else (self.key or rel)
        return f"{inner}/" if inner else ""

    def _pages(self, prefix: str, delimiter: str) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "MaxKeys": PAGE}
        if delimiter:
            kwargs["Delimiter"] = delimiter
        while True:
            page = with_retries(lambda: self._call("list_objects_v2", **kwargs))[0]
            yield page
            if not page.get("IsTruncated"):
                return
            kwargs["ContinuationToken"] = page["NextContinuationToken"]

    def stat_root(self) -> RootInfo:
        if self.key and not self.directory:
            try:
                head = self._call("head_object", Bucket=self.bucket, Key=self.key)
            except Exception as exc:
                # 403: no such key when ListBucket is not granted (or denied: the listing
                # below then says which, with the store's error code).
                code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
                if code not in ("403", "404", "NoSuchKey", "NotFound"):
                    raise
            else:
                return RootInfo(True, False, int(head["ContentLength"]), version_from_info(head))
        page = self._call("list_objects_v2", Bucket=self.bucket, Prefix=self._prefix(""), MaxKeys=1)
        return RootInfo(bool(page.get("KeyCount") or page.get("Contents")), True)

    def _entries(self, page: dict[str, Any], cut: int) -> Iterator[Entry]:
        for item in page.get("Contents", ()):
            yield item["Key"][cut:], int(item["Size"]), version_from_info(item)

    def level(self, rel: str) -> tuple[list[str], list[Entry]]:
        prefix = self._prefix(rel)
        cut = len(self._prefix(""))
        dirs: list[str] = []
        objects: list[Entry] = []
        for page in self._pages(prefix, "/"):
            dirs.extend(p["Prefix"][cut:].rstrip("/") for p in page.get("CommonPrefixes", ()))
            objects.extend(self._entries(page, cut))
        return dirs, objects

    def iter_all(self) -> Iterator[Entry]:
        cut = len(self._prefix(""))
        for page in self._pages(self._prefix(""), ""):
            yield from self._entries(page, cut)

    def _object_key(self, rel: str) -> str:
        return self._prefix(rel)[:-1] if rel else self.key

    def read(
        self, rel: str, start: int | None, end: int | None, pin: Version | None
    ) -> tuple[bytes, Version | None]:
        from fsspec.asyn import sync

        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self._object_key(rel)}
        fields = dict(pin or ())
        if fields.get("etag"):
            kwargs["IfMatch"] = f'"{fields["etag"]}"'
        if fields.get("versionId"):
            kwargs["VersionId"] = fields["versionId"]
        if start is not None:
            kwargs["Range"] = f"bytes={start}-{end - 1}"  # type: ignore[operator]
        response = self._call("get_object", **kwargs)
        body = response["Body"]

        async def drain() -> bytes:
            try:
                return await body.read()
            finally:
                body.close()

        data = sync(self._fs.loop, drain)
        return data, version_from_info(response)

    def head(self, rel: str) -> tuple[int, Version | None]:
        response = self._call("head_object", Bucket=self.bucket, Key=self._object_key(rel))
        return int(response["ContentLength"]), version_from_info(response)
