"""Artifacts in a real registry (tests/helpers/registry.py), a signing key, and the CLI."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from tests.helpers.cli import REPO, run_cli
from tests.helpers.registry import FILEPATH, Registry
from tests.helpers.registry import registry as registry  # the session fixture

DEMO = REPO / "fixtures" / "demo" / "model"


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from mbom.attest.keys import write_key_pair

    return write_key_pair(tmp_path_factory.mktemp("oci-keys") / "release", "ecdsa-p256")


def tar_layer(files: dict[str, bytes], **links: str) -> bytes:
    """A tar of ``files`` (and symbolic links NAME -> TARGET), as a ModelPack tar layer."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            archive.addfile(info, io.BytesIO(data))
        for name, target in links.items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)
    return buffer.getvalue()


def push_tar_model(
    server: Registry,
    repo: str,
    tag: str,
    files: dict[str, bytes],
    *,
    gzip: bool = False,
    **links: str,
) -> str:
    """One raw weights layer and one tar layer holding ``files`` (named ``tokenizer``),
    gzip-compressed (``.tar+gzip``) when asked."""
    weights = server.descriptor(
        repo, b"\x00" * 64, "application/vnd.cncf.model.weight.v1.raw", **{FILEPATH: "weights.bin"}
    )
    import gzip as compression

    data = tar_layer(files, **links)
    tarred = server.descriptor(
        repo,
        compression.compress(data, mtime=0) if gzip else data,
        "application/vnd.cncf.model.weight.config.v1.tar" + ("+gzip" if gzip else ""),
        **{FILEPATH: "tokenizer"},
    )
    return server.push_layers(repo, tag, [weights, tarred])


def mbom(*args: object, env: dict[str, str] | None = None):
    result = run_cli(*args, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def read_bom(path: Path) -> dict:
    return json.loads(path.read_text())


def model_component(bom: dict) -> dict:
    """The model with its file components nested, whichever layout the BOM has."""
    from mbom.bom.subjects import model_component as read_model

    return dict(read_model(bom))


def properties(component: dict) -> dict[str, str]:
    return {p["name"]: p["value"] for p in component.get("properties", [])}
