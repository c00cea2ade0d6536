"""Remote-location tests run against a real S3-compatible server (tests/helpers/s3server.py)."""

from tests.helpers.s3server import s3_env, s3_server  # noqa: F401  (fixtures)
