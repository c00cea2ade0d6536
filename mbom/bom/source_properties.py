"""What capture found about a model's sources and files, as BOM property pairs.

The Hugging Face Hub snapshot (repository, commit, per-file oids, purl, link) and each
checkpoint's parsed facts and safety verdict, in the property names the readers
(verify, inspect, audit) look for.
"""

from __future__ import annotations

import json
from typing import Any

from mbom.bom.purls import huggingface_purl


def hub_properties(hub: Any) -> list[tuple[str, object]]:
    """Repository, commit and oid mismatches of a model or dataset from the Hugging Face Hub."""
    if hub is None:
        return []
    snapshot = hub.snapshot
    return [
        ("mbom:hf:repo", snapshot.repo_id),
        ("mbom:hf:revision", snapshot.revision),
        ("mbom:hf:requested-revision", snapshot.requested),
        ("mbom:hf:oid-mismatches", json.dumps(list(hub.mismatches)) if hub.mismatches else None),
    ]


def oid_properties(hub: Any, path: str) -> list[tuple[str, object]]:
    check = hub.check_for(path) if hub is not None else None
    if check is None or check.oid is None:
        return []
    match = None if check.match is None else str(check.match).lower()
    return [("mbom:hf:oid", check.oid), ("mbom:hf:oid-match", match)]


def hub_purl(hub: Any) -> Any:
    if hub is None:
        return None
    from packageurl import PackageURL

    snapshot = hub.snapshot
    text = huggingface_purl(
        snapshot.repo_id, snapshot.revision, dataset=snapshot.repo_type == "dataset"
    )
    return PackageURL.from_string(text)


def hub_references(hub: Any) -> list[Any]:
    if hub is None:
        return []
    from cyclonedx.model import ExternalReference, ExternalReferenceType, XsUri

    return [ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=XsUri(hub.snapshot.url))]


def checkpoint_properties(info: Any) -> list[tuple[str, object]]:
    """What mbom.capture.checkpoints.safety decided about the file, in its property names."""
    from mbom.capture.checkpoints import safety
    from mbom.capture.checkpoints.facts import parsed_facts

    pairs: list[tuple[str, object]] = [
        (safety.FORMAT_PROPERTY, info.format),
        ("mbom:checkpoint:tensors", info.tensor_count),
        ("mbom:checkpoint:parameters", info.parameter_count),
        ("mbom:checkpoint:dtypes", ",".join(info.dtypes) or None),
        (safety.EXECUTES_PROPERTY, str(info.executes_code).lower()),
        (safety.SAFE_PROPERTY, str(info.safe_to_load).lower()),
        (safety.COMPRESSION_PROPERTY, info.compression),
    ]
    lists = (
        (safety.GLOBALS_PROPERTY, info.pickle_globals),
        (safety.UNSAFE_PROPERTY, info.unsafe_globals),
        (safety.DANGEROUS_PROPERTY, info.dangerous_globals),
        (safety.ISSUES_PROPERTY, info.issues),
    )
    pairs += [(name, json.dumps(list(value))) for name, value in lists if value]
    pairs += [(f"mbom:checkpoint:{name}", value) for name, value in parsed_facts(info)]
    for key, value in sorted(info.metadata.items()):
        if isinstance(value, (str, int, float, bool)) and len(str(value)) <= 256:
            pairs.append((f"mbom:checkpoint:meta:{key}", value))
    return pairs
