"""http(s):// locations against a local HTTP server with ETags and byte ranges."""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from mbom.errors import ObjectChangedError, RemoteAccessError
from mbom.hashing._location import failure
from mbom.hashing._remote import FAILED, RemoteLocation
from mbom.hashing._remote_read import BLOCK

pytest.importorskip("aiohttp", reason="http(s):// needs aiohttp")

SIGNATURE = "X-Amz-Signature=5ecre7deadbeef"
PASSWORD = "pa55w0rd-secret"


class _Store:
    """Files the server serves: path -> bytes; the ETag is their SHA-256 prefix."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.after_first_range: bytes | None = None  # replace the file after one range
        self.fail_gets = 0  # answer this many GETs with 503 first
        self.gets = 0


class _Handler(BaseHTTPRequestHandler):
    store: _Store

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, body: bytes | None) -> None:
        parts = urlsplit(self.path)
        if parts.path.startswith("/signed/") and parts.query != SIGNATURE:
            self.send_error(403, "Forbidden")
            return
        if parts.path.startswith("/basic/"):
            expected = base64.b64encode(f"user:{PASSWORD}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                self.send_error(401, "Unauthorized")
                return
        data = self.store.files.get(parts.path)
        if data is None:
            self.send_error(404, "Not Found")
            return
        status, first, last = 200, 0, len(data) - 1
        wanted = self.headers.get("Range")
        if wanted:
            start, _, end = wanted.removeprefix("bytes=").partition("-")
            status, first, last = 206, int(start), min(int(end), len(data) - 1)
        chunk = data[first : last + 1]
        self.send_response(status)
        self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()[:16]}"')
        self.send_header("Last-Modified", "Wed, 02 Dec 2026 05:00:00 GMT")
        self.send_header("Content-Length", str(len(chunk)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {first}-{last}/{len(data)}")
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if body is not None:
            self.wfile.write(chunk)
            if status == 206 and self.store.after_first_range is not None:
                self.store.files[parts.path] = self.store.after_first_range
                self.store.after_first_range = None

    def do_HEAD(self) -> None:
        self._send(None)

    def do_GET(self) -> None:
        self.store.gets += 1
        if self.store.fail_gets:
            self.store.fail_gets -= 1
            self.send_error(503, "Service Unavailable")
            return
        self._send(b"")


@pytest.fixture
def http_store() -> Iterator[tuple[str, _Store]]:
    store = _Store()
    handler = type("Handler", (_Handler,), {"store": store})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", store
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("size", [0, 5, BLOCK + 1, 2 * BLOCK + 3])
def test_http_object_digest_and_etag(http_store, size):
    base, store = http_store
    data = (b"0123456789abcdef" * (size // 16 + 1))[:size]
    store.files["/m/model.bin"] = data
    location = RemoteLocation.from_url(f"{base}/m/model.bin")
    (listed,) = location.find()
    assert listed.rel == "model.bin" and listed.size == size
    (digest,) = location.hash_objects([listed], ("sha256",))
    assert digest.digests["sha256"] == hashlib.sha256(data).hexdigest()
    assert digest.version == (("etag", hashlib.sha256(data).hexdigest()[:16]),)


def test_http_object_changed_mid_hash(http_store):
    base, store = http_store
    store.files["/m/big.bin"] = b"a" * (2 * BLOCK + 1)
    store.after_first_range = b"b" * (2 * BLOCK + 1)  # same size, new ETag
    location = RemoteLocation.from_url(f"{base}/m/big.bin")
    listed = list(location.find())
    with pytest.raises(ObjectChangedError, match=r"^http://127\.0\.0\.1:\d+/m/big\.bin: changed"):
        location.hash_objects(listed, ("sha256",))


def test_presigned_and_basic_auth_urls_work_and_never_leak(http_store):
    base, store = http_store
    store.files["/signed/w.bin"] = b"signed bytes"
    store.files["/basic/w.bin"] = b"basic bytes"
    host = base.removeprefix("http://")
    signed = RemoteLocation.from_url(f"{base}/signed/w.bin?{SIGNATURE}#frag")
    basic = RemoteLocation.from_url(f"http://user:{PASSWORD}@{host}/basic/w.bin")
    assert signed.display == f"{base}/signed/w.bin"
    assert basic.display == f"{base}/basic/w.bin"
    for location, data in ((signed, b"signed bytes"), (basic, b"basic bytes")):
        (digest,) = location.hash_objects(list(location.find()), ("sha256",))
        assert digest.digests["sha256"] == hashlib.sha256(data).hexdigest()
    wrong = RemoteLocation.from_url(f"{base}/signed/w.bin?X-Amz-Signature=0ther5ecret")
    bad_password = RemoteLocation.from_url(f"http://user:wr0ngpa55@{host}/basic/w.bin")
    for location, secret in ((wrong, "0ther5ecret"), (bad_password, "wr0ngpa55")):
        with pytest.raises(RemoteAccessError) as caught:
            location.stat_root()
        message = str(caught.value)
        assert secret not in message and "X-Amz" not in message and "user:" not in message
        assert message.startswith(location.display + ": cannot read: ")
        assert "\n" not in message


def test_http_missing_object(http_store):
    base, store = http_store
    store.files["/m/a.bin"] = b"x"
    location = RemoteLocation.from_url(f"{base}/m/a.bin")
    listed = list(location.find())
    del store.files["/m/a.bin"]
    (failed,) = location.hash_objects(listed, ("sha256",), tolerant=True)
    assert failed.size == FAILED and "found no object" in failure(failed)


def test_http_503_is_retried(http_store, monkeypatch):
    monkeypatch.setenv("MBOM_REMOTE_BACKOFF", "0.01")
    base, store = http_store
    store.files["/m/a.bin"] = b"flaky server"
    location = RemoteLocation.from_url(f"{base}/m/a.bin")
    listed = list(location.find())
    store.fail_gets, store.gets = 2, 0
    (digest,) = location.hash_objects(listed, ("sha256",))
    assert digest.digests["sha256"] == hashlib.sha256(b"flaky server").hexdigest()
    assert store.gets == 3
    monkeypatch.setenv("MBOM_REMOTE_RETRIES", "1")
    store.fail_gets = 99
    with pytest.raises(RemoteAccessError) as caught:
        location.hash_objects(listed, ("sha256",))
    message = str(caught.value)
    assert message.startswith(f"{base}/m/a.bin: cannot read: ") and "503" in message
    assert message.endswith("(after 2 attempts)")


def test_generate_with_a_presigned_dataset_url_records_no_secret(http_store, tmp_path):
    """The whole BOM set, stdout and stderr: the signature and the password appear nowhere
    (the dataset's default name came from the raw URL before: a leak into the BOM)."""
    from tests.helpers.cli import REPO, run_cli

    base, store = http_store
    store.files["/d/train.csv"] = b"a,b\n1,2\n"
    host = base.removeprefix("http://")
    out = tmp_path / "out"
    out.mkdir()
    done = run_cli(
        "generate", "--model", REPO / "fixtures" / "demo" / "model", "--no-environment",
        "--dataset", f"{base}/d/train.csv?{SIGNATURE}",
        "--dataset", f"http://user:{PASSWORD}@{host}/d/train.csv",
        "-o", out / "bom.cdx.json",
    )  # fmt: skip
    # two datasets of one name: refused, and the refusal names no secret either
    assert done.returncode == 2 and "duplicate dataset" in done.stderr
    assert PASSWORD not in done.stderr and "X-Amz-Signature" not in done.stderr
    done = run_cli(
        "generate", "--model", REPO / "fixtures" / "demo" / "model", "--no-environment",
        "--dataset", f"{base}/d/train.csv?{SIGNATURE}",
        "--dataset", f"other=http://user:{PASSWORD}@{host}/d/train.csv",
        "-o", out / "bom.cdx.json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    written = "".join(p.read_text() for p in out.iterdir()) + done.stdout + done.stderr
    assert PASSWORD not in written and "X-Amz-Signature" not in written and "user:" not in written
    assert f"{base}/d/train.csv" in written
