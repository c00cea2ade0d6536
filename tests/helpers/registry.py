"""A real OCI registry for tests: Debian's ``docker-registry`` (CNCF distribution) on 127.0.0.1.

Usage::

    from tests.helpers.registry import registry  # noqa: F401  (session-scoped pytest fixture)

    def test_something(registry):
        ref = registry.push_model("demo", "v1", "fixtures/demo/model")   # ModelPack layout
        registry.blob_requests()        # GET/HEAD /v2/.../blobs/... seen in the access log

The registry stores blobs under a temporary directory and writes its access log (Apache
combined format, one line per request) to a file the tests read back. Tests that need it
skip with the reason when ``/usr/bin/docker-registry`` is not installed
(``apt-get install docker-registry``).
Artifacts are pushed with plain HTTP calls so that what is pushed is exactly what a test
says (the code under test reads them through oras).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

BINARY = "/usr/bin/docker-registry"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
MODEL_ARTIFACT = "application/vnd.cncf.model.manifest.v1+json"
MODEL_CONFIG = "application/vnd.cncf.model.config.v1+json"
FILEPATH = "org.cncf.model.filepath"

_ACCESS_LINE = re.compile(r'"([A-Z]+) (/v2/[^ "]*) HTTP/[0-9.]+"')
_CONFIG = """version: 0.1
log:
  level: error
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""


def layer_media_type(name: str, *, tar: bool = False) -> str:
    """The ModelPack media type of one file of a model (weights, config, docs, code)."""
    if name.endswith((".safetensors", ".bin", ".gguf", ".onnx", ".pt")):
        kind = "weight"
    elif name.endswith((".json", ".yaml", ".yml", ".txt", ".model")) and "README" not in name:
        kind = "weight.config"
    elif name.endswith(".md"):
        kind = "doc"
    else:
        kind = "code"
    return f"application/vnd.cncf.model.{kind}.v1.{'tar' if tar else 'raw'}"


@dataclass
class Registry:
    """A running registry: its host:port, the access log, and push helpers."""

    host: str
    log_path: Path
    authorization: str | None = None
    """``Basic ...`` sent with every request of these helpers (a registry with users)."""

    def _open(self, request: urllib.request.Request):  # -> http.client.HTTPResponse
        if self.authorization:
            request.add_header("Authorization", self.authorization)
        return urllib.request.urlopen(request)

    @property
    def base(self) -> str:
        return f"http://{self.host}/v2"

    # ---- pushing -------------------------------------------------------------------

    def push_blob(self, repo: str, data: bytes) -> str:
        """Upload one blob (monolithic POST + PUT); returns its digest."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        request = urllib.request.Request(f"{self.base}/{repo}/blobs/uploads/", method="POST")
        with self._open(request) as response:
            location = response.headers["Location"]
        if location.startswith("/"):
            location = f"http://{self.host}{location}"
        separator = "&" if "?" in location else "?"
        put = urllib.request.Request(
            f"{location}{separator}digest={digest}",
            data=data,
            method="PUT",
            headers={"Content-Type": "application/octet-stream"},
        )
        with self._open(put):
            pass
        return digest

    def push_manifest(
        self, repo: str, reference: str, manifest: Mapping, media_type: str = MANIFEST
    ) -> str:
        """Put a manifest (or index) under a tag or digest; returns its digest."""
        return self.push_raw_manifest(
            repo, reference, json.dumps(manifest, sort_keys=True).encode(), media_type
        )

    def push_raw_manifest(self, repo: str, reference: str, body: bytes, media_type: str) -> str:
        """Put these exact manifest bytes; returns their digest."""
        request = urllib.request.Request(
            f"{self.base}/{repo}/manifests/{reference}",
            data=body,
            method="PUT",
            headers={"Content-Type": media_type},
        )
        with self._open(request):
            pass
        return "sha256:" + hashlib.sha256(body).hexdigest()

    def descriptor(self, repo: str, data: bytes, media_type: str, **annotations: str) -> dict:
        digest = self.push_blob(repo, data)
        described = {"mediaType": media_type, "digest": digest, "size": len(data)}
        if annotations:
            described["annotations"] = dict(annotations)
        return described

    def push_layers(
        self,
        repo: str,
        tag: str,
        layers: list[dict],
        *,
        config: bytes | None = None,
        artifact_type: str | None = MODEL_ARTIFACT,
    ) -> str:
        """An image manifest over already pushed ``layers``; returns the manifest digest."""
        config_bytes = config if config is not None else _model_config(layers)
        manifest: dict = {
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": self.descriptor(repo, config_bytes, MODEL_CONFIG),
            "layers": layers,
        }
        if artifact_type:
            manifest["artifactType"] = artifact_type
        return self.push_manifest(repo, tag, manifest)

    def push_model(self, repo: str, tag: str, directory: str | os.PathLike[str]) -> str:
        """A ModelPack-layout artifact: one ``.raw`` layer per file of ``directory``, each
        named by ``org.cncf.model.filepath``. Returns the manifest digest."""
        root = Path(directory)
        layers = []
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            name = path.relative_to(root).as_posix()
            layers.append(
                self.descriptor(repo, path.read_bytes(), layer_media_type(name), **{FILEPATH: name})
            )
        return self.push_layers(repo, tag, layers)

    def get_manifest(self, repo: str, reference: str) -> tuple[bytes, str]:
        request = urllib.request.Request(
            f"{self.base}/{repo}/manifests/{reference}",
            headers={"Accept": f"{MANIFEST}, {INDEX}"},
        )
        with self._open(request) as response:
            return response.read(), response.headers.get("Content-Type", "")

    def tags(self, repo: str) -> list[str]:
        with self._open(urllib.request.Request(f"{self.base}/{repo}/tags/list")) as response:
            return json.load(response).get("tags") or []

    # ---- the access log ------------------------------------------------------------

    def requests(self) -> list[tuple[str, str]]:
        """(method, path) of every request the registry has logged so far."""
        text = self.log_path.read_text(errors="replace")
        return [(m.group(1), m.group(2)) for m in _ACCESS_LINE.finditer(text)]

    def blob_requests(self, since: int = 0) -> list[tuple[str, str]]:
        """The requests since ``since`` that read a blob (GET or HEAD .../blobs/sha256:...)."""
        return [
            (method, path)
            for method, path in self.requests_since(since)
            if method in ("GET", "HEAD") and "/blobs/sha256:" in path
        ]

    def mark(self) -> int:
        """How many requests were logged so far (pass it to :meth:`requests_since`)."""
        time.sleep(0.2)  # the access log is written after the response is sent
        return len(self.requests())

    def requests_since(self, mark: int) -> list[tuple[str, str]]:
        time.sleep(0.2)
        return self.requests()[mark:]


def _model_config(layers: list[dict]) -> bytes:
    """A ModelPack model config naming the layers' diffIds (their digests, raw layers)."""
    config = {
        "descriptor": {"name": "test-model"},
        "config": {"format": "safetensors"},
        "modelfs": {"type": "layers", "diffIds": [layer["digest"] for layer in layers]},
    }
    return json.dumps(config, sort_keys=True).encode()


def _bcrypt(password: str) -> str:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import crypt
        except ImportError:
            pytest.skip("no crypt module (Python 3.13+): cannot write a bcrypt htpasswd")
    hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH))
    if not hashed or not hashed.startswith("$2"):
        pytest.skip("the C library's crypt() has no bcrypt: cannot write an htpasswd")
    return hashed


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_registry(workdir: Path, users: dict[str, str] | None = None) -> Iterator[Registry]:
    """Start ``docker-registry serve`` on a free port; stopped (and reaped) on exit.

    ``users`` (name -> password): HTTP Basic auth through an htpasswd file (bcrypt, made
    with the ``crypt`` module where the C library has it; the test skips otherwise). Skips
    with the reason when docker-registry is not installed."""
    import base64

    if shutil.which(BINARY) is None and not os.path.exists(BINARY):
        pytest.skip(f"{BINARY} is not installed (apt-get install docker-registry)")
    port = _free_port()
    config = workdir / "config.yml"
    text = _CONFIG.format(root=workdir / "storage", port=port)
    authorization = None
    if users:
        htpasswd = workdir / "htpasswd"
        htpasswd.write_text("".join(f"{n}:{_bcrypt(p)}\n" for n, p in users.items()))
        text += f"auth:\n  htpasswd:\n    realm: mbom-test\n    path: {htpasswd}\n"
        name, password = next(iter(users.items()))
        authorization = "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()
    config.write_text(text)
    log_path = workdir / "access.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [BINARY, "serve", str(config)], stdout=log, stderr=log, stdin=subprocess.DEVNULL
        )
    try:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"docker-registry exited with {process.returncode}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1).close()
                break
            except urllib.error.HTTPError:
                break  # 401: listening, and asking for credentials
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("docker-registry did not start listening")
        yield Registry(host=f"127.0.0.1:{port}", log_path=log_path, authorization=authorization)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """One registry for the session (tests use their own repository names)."""
    with running_registry(tmp_path_factory.mktemp("registry")) as server:
        yield server
