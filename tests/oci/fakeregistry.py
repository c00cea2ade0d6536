"""A small registry that speaks the OCI distribution spec v1.1, Referrers API included.

CNCF distribution 2.8 (the real registry the other tests use) has no Referrers API, so the
API path is tested against this one, written from the spec's documented behaviour:

* ``PUT /v2/<name>/manifests/<ref>`` stores a manifest; when it has a ``subject`` the
  response carries ``OCI-Subject: <subject digest>`` (how a client learns the API exists);
* ``GET /v2/<name>/referrers/<digest>`` answers 200 with an image index
  (``application/vnd.oci.image.index.v1+json``) of descriptors of the manifests whose
  subject is ``<digest>``, each with its ``artifactType`` and ``annotations``; an unknown
  digest gives an empty index, not 404;
* blobs: monolithic ``POST`` + ``PUT ?digest=``, ``GET``/``HEAD`` by digest.

``lie`` (digest -> bytes) makes it serve other bytes for a manifest or blob, as a compromised
registry or a man in the middle would; ``extra_referrers`` adds descriptors to every
referrers answer (referrers of another subject); ``upload_base`` sends upload sessions to
another host (where the client's credentials would follow).
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

INDEX = "application/vnd.oci.image.index.v1+json"


@dataclass
class Store:
    blobs: dict[str, bytes] = field(default_factory=dict)
    manifests: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # digest -> body, type
    tags: dict[str, str] = field(default_factory=dict)  # "repo:tag" -> digest
    lie: dict[str, bytes] = field(default_factory=dict)
    extra_referrers: list[dict] = field(default_factory=list)
    referrers_api: bool = True
    upload_base: str = ""  # e.g. "http://elsewhere:1": where upload sessions are sent
    log: list[tuple[str, str]] = field(default_factory=list)


def _handler(store: Store) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            store.log.append((self.command, self.path))

        def _send(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _parts(self) -> tuple[str, str, str]:
            path = self.path.split("?", 1)[0]
            rest = path.removeprefix("/v2/")
            for kind in ("manifests", "blobs/uploads", "blobs", "referrers"):
                marker = f"/{kind}/"
                if marker in rest:
                    name, _, ref = rest.rpartition(marker)
                    return name, kind, ref
            return rest, "", ""

        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/v2":
                return self._send(200, b"{}")
            name, kind, ref = self._parts()
            if kind == "manifests":
                digest = store.tags.get(f"{name}:{ref}", ref)
                if digest not in store.manifests:
                    return self._send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
                body, media_type = store.manifests[digest]
                body = store.lie.get(digest, body)
                return self._send(
                    200, body, {"Content-Type": media_type, "Docker-Content-Digest": digest}
                )
            if kind == "blobs":
                if ref not in store.blobs:
                    return self._send(404)
                return self._send(200, store.lie.get(ref, store.blobs[ref]))
            if kind == "referrers" and store.referrers_api:
                found = []
                for digest, (body, media_type) in sorted(store.manifests.items()):
                    document = json.loads(body)
                    if (document.get("subject") or {}).get("digest") != ref:
                        continue
                    entry = {"mediaType": media_type, "digest": digest, "size": len(body)}
                    if document.get("artifactType"):
                        entry["artifactType"] = document["artifactType"]
                    if document.get("annotations"):
                        entry["annotations"] = document["annotations"]
                    found.append(entry)
                index = {
                    "schemaVersion": 2,
                    "mediaType": INDEX,
                    "manifests": [*found, *store.extra_referrers],
                }
                return self._send(200, json.dumps(index).encode(), {"Content-Type": INDEX})
            return self._send(404)

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_POST(self) -> None:
            name, kind, _ = self._parts()
            if kind != "blobs/uploads" and not self.path.endswith("/blobs/uploads/"):
                return self._send(404)
            session = uuid.uuid4().hex
            location = f"{store.upload_base}/v2/{name}/blobs/uploads/{session}"
            self._send(202, b"", {"Location": location})

        def do_PUT(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            name, kind, ref = self._parts()
            digest = "sha256:" + hashlib.sha256(body).hexdigest()
            if kind == "blobs/uploads":
                wanted = self.path.split("digest=", 1)[-1]
                if wanted != digest:
                    return self._send(400, b'{"errors":[{"code":"DIGEST_INVALID"}]}')
                store.blobs[digest] = body
                return self._send(201, b"", {"Docker-Content-Digest": digest})
            if kind == "manifests":
                media_type = self.headers.get("Content-Type", "")
                store.manifests[digest] = (body, media_type)
                if not ref.startswith("sha256:"):
                    store.tags[f"{name}:{ref}"] = digest
                headers = {"Docker-Content-Digest": digest}
                subject = (json.loads(body).get("subject") or {}).get("digest")
                if subject and store.referrers_api:
                    headers["OCI-Subject"] = subject
                return self._send(201, b"", headers)
            return self._send(404)

    return Handler


@contextmanager
def fake_registry() -> Iterator[tuple[str, Store]]:
    """(host:port, store) of a running fake registry on 127.0.0.1 (stopped on exit)."""
    store = Store()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(store))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", store
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
