"""A real S3-compatible server for tests: moto's standalone server on 127.0.0.1.

Usage (session-scoped server, per-test environment)::

    from tests.helpers.s3server import s3_env, s3_server  # noqa: F401  (pytest fixtures)

    def test_something(s3_env):
        s3_env.bucket("data")                  # a fresh bucket, versioning on
        s3_env.put("data", "a/b.bin", b"...")
        ...                                    # s3:// URLs now reach the server

``s3_env`` sets fake credentials, the region and ``AWS_ENDPOINT_URL`` (what botocore, s3fs
and mbom read) through ``monkeypatch``, so nothing leaks into other tests. The server is the
same one the ``moto_server`` CLI runs, on a free port, stopped after the session.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@dataclass
class S3Server:
    """A running server: its endpoint and a boto3 client to arrange test data."""

    endpoint: str
    _client: Any = field(default=None, repr=False)

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client(
                "s3",
                endpoint_url=self.endpoint,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                region_name="us-east-1",
            )
        return self._client

    def bucket(self, prefix: str = "mbom", *, versioned: bool = True) -> str:
        """A new, empty bucket (a unique name: the server lives for the whole session)."""
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        self.client.create_bucket(Bucket=name)
        if versioned:
            self.client.put_bucket_versioning(
                Bucket=name, VersioningConfiguration={"Status": "Enabled"}
            )
        return name

    def put(self, bucket: str, key: str, data: bytes) -> dict[str, Any]:
        """Write one object; returns the PutObject response (ETag, VersionId)."""
        return self.client.put_object(Bucket=bucket, Key=key, Body=data)

    @property
    def env(self) -> dict[str, str]:
        """What a subprocess (a Dask worker, the CLI) needs in its environment to reach it."""
        return {**CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def moto_process(extra_env: Mapping[str, str] | None = None) -> Iterator[S3Server]:
    """moto's server in its own process (``python -m moto.server``), e.g. for benchmarks (no
    GIL shared with the client) or with ``INITIAL_NO_AUTH_ACTION_COUNT=0`` (it then checks
    credentials). Stopped on exit."""
    port = _free_port()
    env = {**os.environ, **(extra_env or {})}
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(600):  # wait for it to listen (up to about a minute on a busy host)
            if process.poll() is not None:
                raise RuntimeError(f"moto server exited with {process.returncode}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("moto server did not start listening")
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's threaded server on 127.0.0.1, a free port; stopped at the end of the session."""
    server_module = pytest.importorskip("moto.server", reason="needs moto[server]")
    pytest.importorskip("s3fs", reason="needs s3fs")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server(f"http://{host}:{port}")
    finally:
        server.stop()


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The server, with this test's environment pointing every S3 client at it."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "MBOM_S3_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)
    monkeypatch.setenv("MBOM_REMOTE_BACKOFF", "0.01")
    return s3_server
