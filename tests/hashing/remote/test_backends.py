"""Backends without a server: construction, missing packages, version fields, redaction, and
the generic fsspec path end to end on fsspec's in-memory filesystem."""

from __future__ import annotations

import datetime
import hashlib
import pickle
import subprocess
import sys

import pytest

from mbom.errors import InputError, ObjectChangedError
from mbom.hashing._location import open_location
from mbom.hashing._redact import display_url, scrub
from mbom.hashing._remote import RemoteLocation
from mbom.hashing._remote_ops import HubOps, version_from_info


@pytest.mark.parametrize(
    ("url", "display", "ops"),
    [
        ("s3://bucket/data/", "s3://bucket/data", "S3Ops"),
        ("gs://bucket/data", "gs://bucket/data", "FsspecOps"),
        ("az://container/data", "az://container/data", "FsspecOps"),
        (
            "abfs://c@acct.dfs.core.windows.net/d",
            "abfs://c@acct.dfs.core.windows.net/d",
            "FsspecOps",
        ),
        ("https://host/m.bin?sig=1#f", "https://host/m.bin", "FsspecOps"),
        ("hf://datasets/org/name", "hf://datasets/org/name", "HubOps"),
    ],
)
def test_construction_needs_no_network_and_pickles(url, display, ops):
    scheme = url.partition(":")[0]
    pytest.importorskip(
        {"s3": "s3fs", "gs": "gcsfs", "az": "adlfs", "abfs": "adlfs"}.get(scheme, "fsspec")
    )
    location = open_location(url)
    assert isinstance(location, RemoteLocation) and not location.is_local
    assert location.display == display and type(location.ops).__name__ == ops
    copy = pickle.loads(pickle.dumps(location))
    assert copy.display == display and copy.ops.__getstate__() == location.ops.__getstate__()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3://b/k", "s3:// needs s3fs: pip install 'mbom[s3]'"),
        ("gs://b/k", "gs:// needs gcsfs: pip install 'mbom[gcs]'"),
        ("az://c/k", "az:// needs adlfs: pip install 'mbom[azure]'"),
    ],
)
def test_missing_backend_is_one_line_naming_the_extra(monkeypatch, url, message):
    package = message.split(" needs ")[1].split(":")[0]
    monkeypatch.setitem(sys.modules, package, None)  # import fails as if not installed
    with pytest.raises(InputError) as caught:
        RemoteLocation.from_url(url)
    assert str(caught.value) == message and caught.value.exit_code == 2


def test_unsupported_scheme_and_credentials_in_url():
    with pytest.raises(InputError, match="unsupported URL scheme 'nope'"):
        RemoteLocation.from_url("nope://x/y")
    with pytest.raises(InputError) as caught:
        RemoteLocation.from_url("s3://AKIAEXAMPLE:s3cr3t@bucket/key")
    assert "s3cr3t" not in str(caught.value) and "AKIA" not in str(caught.value)
    assert "credentials in the URL are not accepted" in str(caught.value)


@pytest.mark.parametrize(
    ("info", "version"),
    [
        (  # s3fs info / list_objects_v2 / get_object
            {
                "ETag": '"9a0364b9e99bb480dd25e1f0284c8555"',
                "VersionId": "3HL4kqtJlcpXroDTDmJ",
                "LastModified": datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc),
            },
            (("versionId", "3HL4kqtJlcpXroDTDmJ"), ("etag", "9a0364b9e99bb480dd25e1f0284c8555")),
        ),
        ({"ETag": '"abc-3"', "VersionId": "null"}, (("etag", "abc-3"),)),  # unversioned bucket
        (  # gcsfs
            {
                "generation": "1733123456789012",
                "etag": "CJSm8q3Y8YkDEAE=",
                "updated": "2026-01-02T00:00:00Z",
            },
            (("etag", "CJSm8q3Y8YkDEAE="), ("generation", "1733123456789012")),
        ),
        (  # adlfs
            {"etag": '"0x8DCF0A1B2C3D4E5"', "version_id": "2026-01-02T00:00:00.0000000Z"},
            (("versionId", "2026-01-02T00:00:00.0000000Z"), ("etag", "0x8DCF0A1B2C3D4E5")),
        ),
        (
            {"Last-Modified": "Wed, 02 Dec 2026 05:00:00 GMT"},  # HTTP without an ETag
            (("lastModified", "Wed, 02 Dec 2026 05:00:00 GMT"),),
        ),
        ({"ETag": 'W/"weak"', "Last-Modified": "x"}, (("etag", 'W/"weak"'),)),
        ({"size": 3}, None),
    ],
)
def test_version_fields_from_backend_info(info, version):
    assert version_from_info(info) == version


def test_hub_version_is_the_resolved_commit_and_the_blob():
    ops = HubOps("hf", "org/model", {})
    ops.commit = "a" * 40  # as resolved once by stat_root()
    lfs = {"blob_id": "b" * 40, "lfs": {"sha256": "c" * 64, "size": 9}}
    assert ops.version(lfs) == (("etag", "c" * 64), ("commit", "a" * 40))
    assert ops.version({"blob_id": "b" * 40}) == (("etag", "b" * 40), ("commit", "a" * 40))
    assert pickle.loads(pickle.dumps(ops)).commit == "a" * 40


def test_display_and_scrub_remove_every_credential():
    url = "https://alice:hunter22@host.example:8443/a/b.bin?X-Amz-Signature=deadbeef&x=1#frag"
    assert display_url(url) == "https://host.example:8443/a/b.bin"
    message = f"403, message='Forbidden', url='{url}' token=abc123 sig=zzz"
    clean = scrub(message, url)
    for secret in ("hunter22", "alice", "deadbeef", "X-Amz-Signature=d", "abc123", "zzz", "frag"):
        assert secret not in clean
    assert "https://host.example:8443/a/b.bin" in clean


def test_generic_fsspec_backend_end_to_end():
    fsspec = pytest.importorskip("fsspec")
    memory = fsspec.filesystem("memory")
    files = {
        "/mbomtest/t/a.bin": b"alpha",
        "/mbomtest/t/sub/b.bin": b"beta" * 1000,
        "/mbomtest/t/sub/deep/c.bin": b"",
        "/mbomtest/t/x.cdx.json": b"{}",
    }
    for path, data in files.items():
        memory.pipe(path, data)
    try:
        location = RemoteLocation.from_url("memory://mbomtest/t")
        listed = sorted(location.find())
        assert [item.rel for item in listed] == ["a.bin", "sub/b.bin", "sub/deep/c.bin"]
        assert location.list_dir("sub")[0] == ["sub/deep"]
        digests = location.hash_objects(listed, ("sha256",))
        assert [d.digests["sha256"] for d in digests] == [
            hashlib.sha256(files[f"/mbomtest/t/{item.rel}"]).hexdigest() for item in listed
        ]
        memory.pipe("/mbomtest/t/a.bin", b"alpha, longer now")  # size differs at the re-head
        with pytest.raises(ObjectChangedError, match=r"memory://mbomtest/t/a\.bin: changed"):
            location.hash_objects(listed[:1], ("sha256",))
    finally:
        memory.rm("/mbomtest", recursive=True)


def test_importing_the_remote_location_loads_no_backend():
    code = (
        "import sys, mbom.hashing._remote, mbom.hashing._location\n"
        "heavy = [m for m in ('fsspec', 's3fs', 'gcsfs', 'adlfs', 'botocore', 'aiohttp',"
        " 'dask', 'distributed') if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
