"""Talking to an OCI registry (through oras): manifests and blobs by digest, referrers, pushes.

Usage::

    from mbom.hashing._oci_registry import Registry, resolve
    from mbom.hashing._oci_ref import parse_reference

    artifact = resolve(parse_reference("oci://127.0.0.1:5000/models/demo:v1"))
    artifact.reference.display       # ...@sha256:...: the tag resolved once, the digest kept
    artifact.manifest.layers         # Descriptors (name, media type, size, digest)
    Registry(artifact.reference).blob_to(layer, sink)    # streamed, digest and size checked

oras (``pip install 'mbom[oci]'``) supplies the HTTP session and authentication: credentials
come from the standard Docker config (``~/.docker/config.json``, ``DOCKER_CONFIG``), token
and basic auth as the registry asks. Every answer is bounded and checked here: a manifest is
read up to :data:`MAX_MANIFEST_BYTES` and must hash to the digest asked for (or, for a tag,
to the ``Docker-Content-Digest`` the registry announced); a blob must have the size and digest
its descriptor names. A mismatch is a :class:`RegistryIntegrityError` (exit 1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from mbom.errors import InputError, RemoteAccessError
from mbom.hashing._oci_manifest import (
    ACCEPT,
    OCI_INDEX,
    Descriptor,
    Manifest,
    RegistryIntegrityError,
    parse_manifest,
)
from mbom.hashing._oci_ref import OciReference

MAX_MANIFEST_BYTES = 4 << 20  # what CNCF distribution itself accepts
TIMEOUT = 60.0
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Artifact:
    """A resolved artifact: pinned reference, its image manifest, and how it was reached."""

    reference: OciReference
    """Pinned to the image manifest's digest (the tag kept for information)."""
    manifest: Manifest
    index: Manifest | None = None
    """The index the manifest was chosen from (``--platform``), if any."""
    platform: str | None = None


def resolve(ref: OciReference, platform: str | None = None) -> Artifact:
    """Resolve ``ref`` to one image manifest, once: every later read uses the digest."""
    registry = Registry(ref)
    top = registry.manifest(ref.reference, expect=ref.digest)
    if not top.is_index:
        return Artifact(reference=ref.pinned(top.digest), manifest=top)
    chosen = top.select_platform(platform, ref.display)
    manifest = registry.manifest(chosen.digest, expect=chosen.digest)
    if manifest.is_index:
        raise RegistryIntegrityError(f"{ref.display}: an index inside an index is not supported")
    return Artifact(
        reference=ref.pinned(manifest.digest),
        manifest=manifest,
        index=top,
        platform=chosen.platform,
    )


class Registry:
    """One repository of one registry, through an oras session (no connection when pickled)."""

    def __init__(self, ref: OciReference) -> None:
        self.ref = ref
        self._client: Any = None

    @property
    def base(self) -> str:
        scheme = "http" if self.ref.plain_http else "https"
        return f"{scheme}://{self.ref.host}/v2/{self.ref.repository}"

    # ---- reading ---------------------------------------------------------------------

    def manifest(self, reference: str, *, expect: str | None) -> Manifest:
        """GET a manifest by tag or digest, bounded; its bytes must hash to ``expect`` (or to
        the digest the registry announced for a tag)."""
        where = f"{self.ref.name}/manifests/{reference}"
        response = self._request("GET", f"/manifests/{reference}", headers={"Accept": ACCEPT})
        with response:
            self._raise_for(response, where)
            body = _read_bounded(response, MAX_MANIFEST_BYTES, where)
            announced = response.headers.get("Docker-Content-Digest")
            media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        wanted = expect or announced
        if wanted and wanted != digest:
            raise RegistryIntegrityError(
                f"oci://{where}: the registry served a manifest whose digest is {digest}, "
                f"not {wanted}",
                path=f"oci://{where}",
                expected=wanted,
                actual=digest,
            )
        return parse_manifest(body, digest, media_type, where=f"oci://{self.ref.name}@{digest}")

    def blob_to(
        self, descriptor: Descriptor, sink: BinaryIO, progress: Callable[[int], None] | None = None
    ) -> None:
        """Stream one blob into ``sink``: ``descriptor.size`` bytes hashing to its digest."""
        where = f"oci://{self.ref.name}@{descriptor.digest}"
        response = self._request("GET", f"/blobs/{descriptor.digest}", stream=True)
        with response:
            self._raise_for(response, where)
            digest = hashlib.sha256()
            total = 0
            for chunk in response.iter_content(_CHUNK):
                total += len(chunk)
                if total > descriptor.size:
                    raise RegistryIntegrityError(
                        f"{where}: the blob is larger than the {descriptor.size} bytes listed",
                        path=where,
                        expected=str(descriptor.size),
                        actual=f"more than {descriptor.size}",
                    )
                digest.update(chunk)
                sink.write(chunk)
                if progress is not None:
                    progress(len(chunk))
        actual = "sha256:" + digest.hexdigest()
        if total != descriptor.size or actual != descriptor.digest:
            raise RegistryIntegrityError(
                f"{where}: the registry served {total} bytes hashing to {actual}",
                path=where,
                expected=f"{descriptor.size} bytes, {descriptor.digest}",
                actual=f"{total} bytes, {actual}",
            )

    def blob_bytes(self, descriptor: Descriptor, limit: int) -> bytes:
        """A small blob (a bundle, a config) in memory, refused beyond ``limit`` bytes."""
        import io

        if descriptor.size > limit:
            raise RegistryIntegrityError(
                f"oci://{self.ref.name}@{descriptor.digest}: {descriptor.size} bytes is over the "
                f"{limit}-byte limit for this kind of blob"
            )
        buffer = io.BytesIO()
        self.blob_to(descriptor, buffer)
        return buffer.getvalue()

    def referrers(self, digest: str) -> tuple[tuple[Descriptor, ...], str]:
        """The manifests that name ``digest`` as their subject, and where the list came from:
        ``"api"`` (OCI 1.1 Referrers API) or ``"tag"`` (the ``sha256-<hex>`` tag schema, used
        when the API answers 404)."""
        where = f"oci://{self.ref.name}/referrers/{digest}"
        response = self._request("GET", f"/referrers/{digest}", headers={"Accept": OCI_INDEX})
        with response:
            if response.status_code != 404:
                self._raise_for(response, where)
                body = _read_bounded(response, MAX_MANIFEST_BYTES, where)
                listed = parse_manifest(
                    body, "sha256:" + hashlib.sha256(body).hexdigest(), OCI_INDEX, where=where
                )
                return listed.manifests, "api"
        index = self.tag_index(digest)
        return (index.manifests if index else ()), "tag"

    def tag_index(self, digest: str) -> Manifest | None:
        """The referrers tag schema's index for ``digest`` (None when the tag does not exist)."""
        tag = fallback_tag(digest)
        try:
            index = self.manifest(tag, expect=None)
        except RemoteAccessError as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise
        if not index.is_index:
            raise RegistryIntegrityError(f"oci://{self.ref.name}:{tag} is not an image index")
        return index

    # ---- writing ---------------------------------------------------------------------

    def push_blob(self, data: bytes, media_type: str) -> Descriptor:
        """Upload ``data`` (monolithic upload) unless the registry has it already."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        head = self._request("HEAD", f"/blobs/{digest}")
        head.close()
        if head.status_code != 200:
            started = self._request("POST", "/blobs/uploads/", headers={"Content-Length": "0"})
            started.close()
            self._raise_for(started, f"{self.ref.name}/blobs/uploads/")
            location = started.headers.get("Location", "")
            if location.startswith("/"):
                location = f"{self.base.split('/v2/')[0]}{location}"
            _same_registry(location, self.base, self.ref.name)  # credentials go nowhere else
            separator = "&" if "?" in location else "?"
            done = self._request(
                "PUT",
                f"{location}{separator}digest={digest}",
                data=data,
                headers={"Content-Type": "application/octet-stream"},
                absolute=True,
            )
            done.close()
            self._raise_for(done, f"{self.ref.name}/blobs/{digest}")
        return Descriptor(media_type=media_type, digest=digest, size=len(data))

    def push_manifest(self, reference: str, body: bytes, media_type: str) -> dict[str, str]:
        """PUT a manifest under a tag or its digest; returns the response headers."""
        response = self._request(
            "PUT", f"/manifests/{reference}", data=body, headers={"Content-Type": media_type}
        )
        response.close()
        self._raise_for(response, f"{self.ref.name}/manifests/{reference}")
        return dict(response.headers)

    # ---- plumbing --------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
        stream: bool = True,
        absolute: bool = False,
    ) -> Any:
        """One request through oras's session and auth (its retry-with-sleep loop skipped:
        a verifier must answer promptly), with a timeout on every connection."""
        client = self._oras()
        url = path if absolute else f"{self.base}{path}"
        import requests

        try:
            unwrapped = type(client).do_request.__wrapped__
            return unwrapped(
                client, url, method, data=data, headers=dict(headers or {}), stream=stream
            )
        except requests.RequestException as exc:
            raise RemoteAccessError(
                f"oci://{self.ref.name}: {method} failed: {type(exc).__name__}", path=self.ref.name
            ) from None
        except ValueError as exc:  # oras: "Cannot respond to request for authentication."
            raise RemoteAccessError(f"oci://{self.ref.name}: {exc}", path=self.ref.name) from None

    def _oras(self) -> Any:
        if self._client is None:
            try:
                import oras.container
                import oras.provider
            except ImportError:
                raise InputError("oci:// needs the oras package: pip install 'mbom[oci]'") from None
            from requests.adapters import HTTPAdapter

            class _Timeout(HTTPAdapter):
                def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
                    kwargs["timeout"] = kwargs.get("timeout") or TIMEOUT
                    return super().send(request, **kwargs)

            client = oras.provider.Registry(
                hostname=self.ref.host,
                insecure=self.ref.plain_http,
                tls_verify=True,
                auth_backend=_auth_scheme(self.base.split("/v2/")[0]),
            )
            client.session.mount("http://", _Timeout())
            client.session.mount("https://", _Timeout())
            client.auth.load_configs(oras.container.Container(self.ref.name), _docker_configs())
            if not hasattr(client.auth, "_basic_auth"):  # no credentials for this registry
                client.auth._basic_auth = None  # oras's basic backend expects the attribute
            self._client = client
        return self._client

    def _raise_for(self, response: Any, where: str) -> None:
        status = response.status_code
        if status in (200, 201, 202):
            return
        reason = {401: "authentication required", 403: "access denied", 404: "not found"}
        error = RemoteAccessError(
            f"oci://{where}: {reason.get(status, f'HTTP {status}')}", path=where
        )
        error.status = status  # type: ignore[attr-defined]
        raise error

    def __getstate__(self) -> dict[str, Any]:
        return {"ref": self.ref, "_client": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.ref, self._client = state["ref"], None


def _docker_configs() -> list[str]:
    """``$DOCKER_CONFIG/config.json`` when the variable is set (oras reads only
    ``~/.docker/config.json`` by itself, and adds it)."""
    import os

    folder = os.environ.get("DOCKER_CONFIG")
    return [os.path.join(folder, "config.json")] if folder else []


_SCHEMES: dict[str, str] = {}


def _auth_scheme(origin: str) -> str:
    """oras's auth backend for a registry: ``basic`` when its ``/v2/`` challenge is HTTP
    Basic (distribution with htpasswd), else ``token`` (Docker Hub, GHCR, Harbor...). The
    Docker client pings ``/v2/`` the same way; the answer is kept for the process."""
    if origin not in _SCHEMES:
        import requests

        scheme = "token"
        try:
            with requests.get(f"{origin}/v2/", timeout=TIMEOUT, allow_redirects=False) as ping:
                challenge = ping.headers.get("WWW-Authenticate", "")
                if ping.status_code == 401 and challenge.lower().startswith("basic"):
                    scheme = "basic"
        except requests.RequestException:
            pass  # the request that needs the registry reports it
        _SCHEMES[origin] = scheme
    return _SCHEMES[origin]


def _same_registry(url: str, base: str, name: str) -> None:
    """An upload session URL must stay on the registry (same scheme, host and port): the
    request carries the registry's credentials."""
    from urllib.parse import urlsplit

    wanted, got = urlsplit(base), urlsplit(url)
    if (got.scheme, got.netloc) != (wanted.scheme, wanted.netloc):
        raise RemoteAccessError(
            f"oci://{name}: the registry sent the upload to {got.scheme}://{got.netloc}; refusing"
        )


def fallback_tag(digest: str) -> str:
    """The referrers tag schema's tag for ``digest``: ``sha256-<hex>``."""
    algorithm, _, hex_digest = digest.partition(":")
    return f"{algorithm}-{hex_digest}"


def _read_bounded(response: Any, limit: int, where: str) -> bytes:
    chunks, total = [], 0
    for chunk in response.iter_content(64 << 10):
        total += len(chunk)
        if total > limit:
            raise RegistryIntegrityError(
                f"oci://{where}: the manifest is larger than {limit} bytes; refusing",
                path=f"oci://{where}",
                expected=f"at most {limit} bytes",
                actual=f"more than {limit}",
            )
        chunks.append(chunk)
    return b"".join(chunks)
