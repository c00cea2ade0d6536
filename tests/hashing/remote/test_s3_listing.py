"""Listing an S3 prefix on a real S3-compatible server: names, placeholders, paging, versions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from mbom.errors import InputError, RemoteAccessError
from mbom.hashing._remote import RemoteLocation


def test_nested_listing_skips_placeholders_and_mbom_outputs(s3_env):
    bucket = s3_env.bucket()
    for key in (
        "d/",
        "d/a.bin",
        "d/sub/",
        "d/sub/b.bin",
        "d/ünï/çødé ✓.txt",
        "d/model.cdx.json",
        "d/tool.cdx.json.py",
        "other/c.bin",
    ):
        s3_env.put(bucket, key, key.encode())
    location = RemoteLocation.from_url(f"s3://{bucket}/d/")
    names = sorted(listed.rel for listed in location.find())
    assert names == ["a.bin", "sub/b.bin", "tool.cdx.json.py", "ünï/çødé ✓.txt"]
    assert location.ignored == ["model.cdx.json"]  # mbom's own output; loadable files never
    dirs, objects = location.list_dir("")
    assert sorted(dirs) == ["sub", "ünï"]
    assert sorted(o.rel for o in objects) == ["a.bin", "tool.cdx.json.py"]
    assert [o.rel for o in location.list_dir("ünï")[1]] == ["ünï/çødé ✓.txt"]
    sizes = {listed.rel: listed.size for listed in location.find()}
    assert sizes["sub/b.bin"] == len(b"d/sub/b.bin")


def test_2501_objects_are_listed_in_pages(s3_env):
    bucket = s3_env.bucket(versioned=False)
    keys = [f"many/{i % 3}/{i:05d}.bin" for i in range(1500)]
    keys += [f"many/{i:05d}" for i in range(1001)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: s3_env.put(bucket, key, b"x"), keys))
    location = RemoteLocation.from_url(f"s3://{bucket}/many")
    found = sorted(listed.rel for listed in location.find())
    assert found == sorted(key.removeprefix("many/") for key in keys)
    dirs, objects = location.list_dir("")  # 1,001 objects + 3 prefixes: two delimiter pages
    assert sorted(dirs) == ["0", "1", "2"] and len(objects) == 1001
    assert len(location.list_dir("1")[1]) == 500


@pytest.mark.parametrize("key", ["d/../x.bin", "d/a//b.bin", "d/./c.bin", "d/back\\slash"])
def test_unclean_key_is_an_error_naming_it(s3_env, key):
    bucket = s3_env.bucket()
    s3_env.put(bucket, key, b"x")
    location = RemoteLocation.from_url(f"s3://{bucket}/d")
    with pytest.raises(InputError) as caught:
        list(location.find())
    assert repr(key.removeprefix("d/")) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_versions_come_from_the_listing_and_the_read(s3_env):
    versioned, plain = s3_env.bucket(), s3_env.bucket(versioned=False)
    put = s3_env.put(versioned, "m/w.bin", b"weights")
    s3_env.put(plain, "m/w.bin", b"weights")
    for bucket, version_id in ((versioned, put["VersionId"]), (plain, None)):
        location = RemoteLocation.from_url(f"s3://{bucket}/m/")
        (listed,) = location.find()
        etag = put["ETag"].strip('"')
        assert listed.version == (("etag", etag),)
        (digest,) = location.hash_objects([listed], ("sha256",))
        expected = ((("versionId", version_id),) if version_id else ()) + (("etag", etag),)
        assert digest.version == expected


def test_a_single_object_root(s3_env):
    bucket = s3_env.bucket()
    put = s3_env.put(bucket, "models/m.safetensors", b"tensor bytes")
    location = RemoteLocation.from_url(f"s3://{bucket}/models/m.safetensors")
    root = location.stat_root()
    assert not root.is_directory and root.size == 12
    assert ("versionId", put["VersionId"]) in root.version
    (listed,) = location.find()
    assert listed.rel == "m.safetensors"
    assert location.list_dir("") == ([], [listed])
    (digest,) = location.hash_objects([listed], ("sha256",))
    assert digest.path == "m.safetensors" and digest.size == 12


def test_missing_prefix_and_missing_bucket(s3_env):
    bucket = s3_env.bucket()
    with pytest.raises(InputError, match="no such object or prefix"):
        RemoteLocation.from_url(f"s3://{bucket}/nothing/here/").stat_root()
    with pytest.raises(RemoteAccessError) as caught:
        list(RemoteLocation.from_url("s3://no-such-bucket-mbom/x/").find())
    assert str(caught.value) == "s3://no-such-bucket-mbom/x: cannot read: no such bucket"
    assert caught.value.exit_code == 2
