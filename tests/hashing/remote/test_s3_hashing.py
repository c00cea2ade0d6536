"""Hashing S3 objects on a real S3-compatible server: digests, ranges, changes, retries."""

from __future__ import annotations

import hashlib
import os
import pickle

import pytest
from blake3 import blake3

from mbom.errors import ObjectChangedError, RemoteAccessError
from mbom.hashing._location import failure
from mbom.hashing._remote import FAILED, RemoteLocation
from mbom.hashing._remote_read import BLOCK

SIZES = (0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 40 * 1024 * 1024)


def _data(size: int, seed: int = 0) -> bytes:
    return (hashlib.sha256(str(seed).encode()).digest() * (size // 32 + 1))[:size]


def test_digests_equal_hashlib_at_block_boundaries(s3_env):
    bucket = s3_env.bucket()
    payloads = {f"t/{size:09d}.bin": _data(size, size) for size in SIZES}
    for key, data in payloads.items():
        s3_env.put(bucket, key, data)
    location = RemoteLocation.from_url(f"s3://{bucket}/t/")
    listed = sorted(location.find())
    seen: list[int] = []
    digests = location.hash_objects(listed, ("sha256", "blake3"), progress=seen.append)
    for entry in digests:
        data = payloads[f"t/{entry.path}"]
        assert entry.size == len(data)
        assert entry.digests == {
            "sha256": hashlib.sha256(data).hexdigest(),
            "blake3": blake3(data).hexdigest(),
        }
        assert dict(entry.version)["versionId"]
    assert sum(seen) == sum(SIZES)
    assert max(seen) <= BLOCK  # one range at a time reaches the digests


def test_many_small_objects_fetched_concurrently(s3_env):
    bucket = s3_env.bucket(versioned=False)
    payloads = {f"s/{i:04d}": os.urandom(i % 97) for i in range(300)}
    for key, data in payloads.items():
        s3_env.put(bucket, key, data)
    location = RemoteLocation.from_url(f"s3://{bucket}/s")
    digests = location.hash_objects(list(location.find()), ("sha512",))
    assert len(digests) == 300
    for entry in digests:
        assert entry.digests["sha512"] == hashlib.sha512(payloads[f"s/{entry.path}"]).hexdigest()


def test_object_overwritten_between_ranges_is_an_error_naming_it(s3_env):
    bucket = s3_env.bucket()
    s3_env.put(bucket, "m/big.bin", _data(3 * BLOCK + 5))
    location = RemoteLocation.from_url(f"s3://{bucket}/m")
    listed = list(location.find())
    calls: list[int] = []

    def overwrite_once(count: int) -> None:
        calls.append(count)
        if len(calls) == 1:
            s3_env.put(bucket, "m/big.bin", b"new content")

    with pytest.raises(ObjectChangedError) as caught:
        location.hash_objects(listed, ("sha256",), progress=overwrite_once)
    message = str(caught.value)
    assert message.startswith(f"s3://{bucket}/m/big.bin: changed while it was hashed: ")
    assert f"expected size {3 * BLOCK + 5}" in message and "found size 11" in message
    assert caught.value.exit_code == 2 and "\n" not in message


def test_object_changed_or_deleted_after_listing(s3_env):
    bucket = s3_env.bucket()
    for key in ("c/a.bin", "c/b.bin", "c/c.bin"):
        s3_env.put(bucket, key, b"before")
    location = RemoteLocation.from_url(f"s3://{bucket}/c/")
    listed = sorted(location.find())
    s3_env.put(bucket, "c/b.bin", b"after!")  # same size, new ETag: the pinned GET refuses it
    s3_env.client.delete_object(Bucket=bucket, Key="c/c.bin")
    with pytest.raises(ObjectChangedError, match=r"/c/b\.bin: changed while it was hashed"):
        location.hash_objects(listed, ("sha256",))
    results = location.hash_objects(listed, ("sha256",), tolerant=True)
    assert results[0].digests["sha256"] == hashlib.sha256(b"before").hexdigest()
    assert results[1].size == FAILED and "changed while it was hashed" in failure(results[1])
    assert results[2].size == FAILED and "found no object" in failure(results[2])


class _Flaky:
    """Wraps the store calls: ``read`` fails ``times`` times with ``error``, then works."""

    def __init__(self, ops, error: Exception, times: int) -> None:
        self.ops, self.error, self.left, self.calls = ops, error, times, 0

    def __getattr__(self, name):
        return getattr(self.ops, name)

    def read(self, *args):
        self.calls += 1
        if self.left:
            self.left -= 1
            raise self.error
        return self.ops.read(*args)


def _slow_down():
    from botocore.exceptions import ClientError

    response = {
        "Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."},
        "ResponseMetadata": {"HTTPStatusCode": 503},
    }
    return ClientError(response, "GetObject")


@pytest.mark.parametrize(
    "error",
    [_slow_down(), ConnectionResetError(104, "reset by peer")],
    ids=["503-slowdown", "connection-reset"],
)
def test_transient_errors_are_retried(s3_env, error):
    bucket = s3_env.bucket()
    s3_env.put(bucket, "r/x.bin", b"payload")
    location = RemoteLocation.from_url(f"s3://{bucket}/r")
    listed = list(location.find())
    location.ops = flaky = _Flaky(location.ops, error, times=2)
    (digest,) = location.hash_objects(listed, ("sha256",))
    assert digest.digests["sha256"] == hashlib.sha256(b"payload").hexdigest()
    assert flaky.calls == 3


def test_a_persistent_failure_is_one_line_naming_the_object(s3_env, monkeypatch):
    monkeypatch.setenv("MBOM_REMOTE_RETRIES", "2")
    bucket = s3_env.bucket()
    s3_env.put(bucket, "r/x.bin", b"payload")
    location = RemoteLocation.from_url(f"s3://{bucket}/r")
    listed = list(location.find())
    location.ops = flaky = _Flaky(location.ops, ConnectionResetError(104, "reset"), times=99)
    with pytest.raises(RemoteAccessError) as caught:
        location.hash_objects(listed, ("sha256",))
    assert str(caught.value) == (
        f"s3://{bucket}/r/x.bin: cannot read: ConnectionResetError: [Errno 104] reset "
        "(after 3 attempts)"
    )
    assert flaky.calls == 3
    (failed,) = location.hash_objects(listed, ("sha256",), tolerant=True)
    assert failed.size == FAILED and failure(failed) == str(caught.value)


def test_access_denied_is_not_retried(s3_env):
    from botocore.exceptions import ClientError

    bucket = s3_env.bucket()
    s3_env.put(bucket, "r/x.bin", b"payload")
    location = RemoteLocation.from_url(f"s3://{bucket}/r")
    listed = list(location.find())
    denied = ClientError(
        {
            "Error": {"Code": "AccessDenied", "Message": "Access Denied"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        },
        "GetObject",
    )
    location.ops = flaky = _Flaky(location.ops, denied, times=99)
    with pytest.raises(
        RemoteAccessError, match=r"x\.bin: cannot read: access denied \(AccessDenied\)$"
    ):
        location.hash_objects(listed, ("sha256",))
    assert flaky.calls == 1


def test_no_credentials_is_one_line(s3_env, monkeypatch, tmp_path):
    bucket = s3_env.bucket()
    s3_env.put(bucket, "k/x.bin", b"x")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    with pytest.raises(RemoteAccessError) as caught:
        list(RemoteLocation.from_url(f"s3://{bucket}/k/").find())
    assert str(caught.value) == (
        f"s3://{bucket}/k: cannot read: no credentials found "
        "(environment, profile or instance metadata)"
    )
    assert caught.value.exit_code == 2


def test_mbom_endpoint_variable_and_pickling(s3_env, monkeypatch):
    bucket = s3_env.bucket()
    s3_env.put(bucket, "p/x.bin", b"pickled")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("MBOM_S3_ENDPOINT_URL", s3_env.endpoint)
    location = RemoteLocation.from_url(f"s3://{bucket}/p/")
    listed = list(location.find())  # connected: a client is open now
    state = pickle.dumps(location)
    assert b"aiobotocore" not in state and b"testing" not in state
    copy = pickle.loads(state)
    (digest,) = copy.hash_objects(listed, ("sha256",))
    assert digest.digests["sha256"] == hashlib.sha256(b"pickled").hexdigest()


def test_bad_credentials_against_a_server_that_checks_them(monkeypatch):
    """A second moto server that enforces IAM auth: unknown keys are refused, in one line."""
    pytest.importorskip("moto.server", reason="needs moto[server]")
    from tests.helpers.s3server import CREDENTIALS, moto_process

    with moto_process({"INITIAL_NO_AUTH_ACTION_COUNT": "0"}) as server:
        for name, value in CREDENTIALS.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "sup3r-s3cret-value")
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint)
        with pytest.raises(RemoteAccessError) as caught:
            list(RemoteLocation.from_url("s3://any-bucket/data/").find())
    message = str(caught.value)
    assert message == "s3://any-bucket/data: cannot read: access denied (InvalidAccessKeyId)"
    assert "sup3r" not in message and caught.value.exit_code == 2


def test_same_merkle_root_as_the_local_copy(s3_env, tmp_path):
    from mbom.hashing import hash_tree, merkle_root

    files = {
        "config.json": b'{"a": 1}',
        "weights/model-00001.safetensors": _data(BLOCK + 17, 1),
        "weights/empty.bin": b"",
        "data/ünïcode/çøde.txt": b"text",
        "model.cdx.json": b"{}",  # mbom's own output: left out on both sides
    }
    bucket = s3_env.bucket()
    for name, data in files.items():
        s3_env.put(bucket, f"tree/{name}", data)
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    local = hash_tree(tmp_path, algorithms=("sha256", "blake3"))
    location = RemoteLocation.from_url(f"s3://{bucket}/tree/")
    remote = location.hash_objects(sorted(location.find()), ("sha256", "blake3"))
    assert [(d.path, d.size, d.digests) for d in remote] == [
        (f.path, f.size, dict(f.digests)) for f in local.files
    ]
    for algorithm in ("sha256", "blake3"):
        assert merkle_root(remote, algorithm) == local.root(algorithm)
