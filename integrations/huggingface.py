"""The Hugging Face Hub, for Python users: resolve, capture and publish.

Usage::

    from mbom.integrations.huggingface import resolve_model, publish

    snapshot = resolve_model("sentence-transformers/all-MiniLM-L6-v2@main")   # HubSnapshot
    snapshot.path, snapshot.revision
    publish("org/model", "bom.cdx.json", bundles=["bom.cdx.json.sigstore.json"])

``mbom generate --hf REPO[@REVISION]`` and ``--dataset hf://datasets/ORG/NAME[@REV]`` do the
same from the command line; ``mbom publish --hf REPO`` uploads. The logic lives in the
library (:mod:`mbom.capture.hub`, :mod:`mbom.publish`), which the command line calls too;
the Transformers ``Trainer`` callback is :mod:`mbom.integrations.transformers`.
"""

from __future__ import annotations

from mbom.capture.hub import HubSnapshot, resolve_snapshot
from mbom.publish import publish

__all__ = ["HubSnapshot", "publish", "resolve_dataset", "resolve_model"]


def resolve_model(reference: str) -> HubSnapshot:
    """The cached snapshot of model ``REPO[@REVISION]`` (downloaded when the network allows)."""
    return resolve_snapshot(reference)


def resolve_dataset(reference: str) -> HubSnapshot:
    """The cached snapshot of dataset ``ORG/NAME[@REVISION]``."""
    return resolve_snapshot(reference, repo_type="dataset")
