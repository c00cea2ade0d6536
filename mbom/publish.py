"""Publish a BOM and its bundles to a Hugging Face Hub repository.

Usage::

    from mbom.publish import publish

    commit = publish("org/model", "bom.cdx.json", bundles=["bom.cdx.json.sigstore.json"])
    commit.oid, commit.url

One commit adds the BOM (validated first), its sidecar manifests and its bundles under
``path_in_repo`` (default: the repository root), through huggingface_hub's ``HfApi``
(``create_commit``: a preupload request, then the commit). The token is huggingface_hub's
(``HF_TOKEN`` or ``hf auth login``); ``endpoint`` defaults to ``HF_ENDPOINT`` / the Hub.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mbom.errors import InputError, MbomError

PathLike = str | os.PathLike[str]


class PublishError(MbomError):
    """The Hub refused the upload or could not be reached (exit 3: nothing was decided)."""

    exit_code = 3


@dataclass(frozen=True, slots=True)
class PublishedCommit:
    repo_id: str
    oid: str
    url: str
    files: tuple[str, ...]


def publish(
    repo_id: str,
    bom: PathLike,
    *,
    bundles: Sequence[PathLike] = (),
    path_in_repo: str = "",
    revision: str | None = None,
    repo_type: str = "model",
    endpoint: str | None = None,
    token: str | None = None,
    commit_message: str | None = None,
) -> PublishedCommit:
    """Upload ``bom``, the sidecar manifests it names and ``bundles`` in one commit."""
    from mbom.bom.read import load_bom, read_bom_bytes
    from mbom.bom.validate import validate_bom
    from mbom.capture.hub import parse_reference

    parse_reference(repo_id)
    bom_path = Path(bom)
    document = load_bom(bom_path)
    invalid = validate_bom(read_bom_bytes(bom_path)).errors
    if invalid:
        raise InputError(f"{bom_path}: not a valid BOM ({invalid[0].message}); not publishing")
    files = [bom_path, *_manifests(bom_path, document), *(Path(b) for b in bundles)]
    for path in files:
        if not path.is_file():
            raise InputError(f"{path}: no such file", path=str(path))
    from huggingface_hub import CommitOperationAdd, HfApi
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    prefix = path_in_repo.strip("/")
    names = [f"{prefix}/{p.name}" if prefix else p.name for p in files]
    operations = [
        CommitOperationAdd(path_in_repo=name, path_or_fileobj=str(path))
        for name, path in zip(names, files)
    ]
    api = HfApi(endpoint=endpoint, token=token)
    try:
        info = api.create_commit(
            repo_id,
            operations=operations,
            commit_message=commit_message or f"Add Model BOM {bom_path.name} (mbom)",
            revision=revision,
            repo_type=repo_type,
        )
    except OfflineModeIsEnabled:
        raise PublishError(f"{repo_id}: HF_HUB_OFFLINE is set; cannot publish") from None
    except (HfHubHTTPError, OSError) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise PublishError(f"{repo_id}: upload failed: {detail}") from None
    return PublishedCommit(repo_id, info.oid, info.commit_url, tuple(names))


def _manifests(bom_path: Path, document: dict) -> list[Path]:
    """Sidecar manifests the BOM references (``mbom:manifest``), beside it."""
    found = []
    for component in document.get("components", []):
        for prop in component.get("properties", []):
            if prop.get("name") == "mbom:manifest":
                found.append(bom_path.parent / prop["value"])
    return found
