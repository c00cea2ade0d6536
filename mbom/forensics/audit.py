"""``mbom audit``: one report an auditor can file about a model as deployed.

Usage::

    from mbom.forensics.audit import AuditRequest, audit
    from mbom.verify.pipeline import VerifyRequest

    report = audit(AuditRequest(VerifyRequest(path="model/", bundles=("bom.sigstore.json",),
                                              keys=("release.pub",)), search=("releases/",)))
    report.exit_code          # the verification outcome: 0 verified, 1 not, 3 not evaluable
    report.document           # schemas/audit-report.schema.json; rendered by audit_render

The report runs the verifier (:func:`mbom.verify.pipeline.verify`) on PATH with the bundles,
trust and policy given, and gathers: the outcome and every check; the signers with their
identities and the transparency log's integrated time; the model's files and digests,
datasets, configs, hyperparameters and environment as the signed BOM records them; the
lineage graph (:mod:`mbom.forensics.lineage`, verified with the same trust); and an evidence
block saying what was verified, against which trust material (file and SHA-256), by which
tool version and when (``SOURCE_DATE_EPOCH`` when set). A failed verification still gives a
whole report: that is what an auditor needs. See docs/forensics.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mbom.errors import MalformedFileError, MbomError

AUDIT_TYPE = "https://mbom.dev/audit/v1"


@dataclass(frozen=True, slots=True)
class AuditRequest:
    """What to verify (as for ``mbom verify``) and where to look for parents."""

    verify: Any  # mbom.verify.pipeline.VerifyRequest
    search: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The report as one JSON-ready document, and the verification outcome's exit code."""

    document: Mapping[str, Any]
    exit_code: int

    def as_json(self) -> dict[str, Any]:
        return dict(self.document)


def audit(request: AuditRequest) -> AuditReport:
    """Verify, then assemble the report (input errors raise before anything is written)."""
    from mbom import __version__
    from mbom.bom.build import build_timestamp
    from mbom.forensics.lineage import build_lineage
    from mbom.verify.pipeline import resolve_trust, verify
    from mbom.verify.policy import load_policy

    checked = request.verify
    audited_at = build_timestamp()
    report = verify(checked)
    policy = load_policy(checked.policy) if checked.policy else None
    primary = _primary_bundle(report)
    bom = _read_bom(primary) if primary else None
    lineage = None
    if primary is not None:
        graph = build_lineage(
            [primary],
            search=request.search,
            candidates=checked.parents,
            trust=resolve_trust(checked, policy),
        )
        lineage = graph.to_json()
    verdict = report.as_json()
    document: dict[str, Any] = {
        "auditType": AUDIT_TYPE,
        "subject": checked.path,
        "verified": report.verified,
        "exitCode": report.exit_code,
        "mode": report.mode,
        "checks": verdict["checks"],
        "signers": verdict["signers"],
        "bundleSigners": _bundle_signers(checked.bundles, verdict["signers"]),
        "attestations": verdict["attestations"],
        "bom": verdict["bom"],
        **_contents(bom),
        "lineage": lineage,
        "evidence": {
            "tool": {"name": "mbom", "version": __version__},
            "auditedAt": audited_at.isoformat().replace("+00:00", "Z"),
            "subject": checked.path,
            "filesVerified": len(report.files),
            "bomSerialNumber": (verdict["bom"] or {}).get("serialNumber"),
            "bundles": [_file_evidence(name) for name in checked.bundles],
            "parents": [_file_evidence(name) for name in checked.parents],
            "trust": _trust_evidence(checked, policy),
            "policy": _file_evidence(checked.policy) if checked.policy else None,
            "datasetsRoot": checked.datasets,
            "searchFolders": list(request.search),
        },
    }
    return AuditReport(document, report.exit_code)


def _primary_bundle(report: Any) -> str | None:
    """The first MBOM attestation: the BOM the report describes."""
    from mbom.verify.binding import MBOM

    return next((a["bundle"] for a in report.attestations if a["kind"] == MBOM), None)


def _read_bom(bundle: str) -> Mapping[str, Any] | None:
    from mbom.bom.parents import load_bom_or_bundle

    try:
        return load_bom_or_bundle(bundle)[0]
    except MbomError:
        return None


def _contents(bom: Mapping[str, Any] | None) -> dict[str, Any]:
    """Model, files, datasets, configs, hyperparameters, environment from the signed BOM."""
    if bom is None:
        return {
            "model": None,
            "datasets": [],
            "configs": [],
            "hyperparameters": {},
            "environment": {},
            "checkpoints": [],
            "run": None,
        }
    from mbom.bom.describe import describe
    from mbom.forensics.lineage import checkpoint_steps

    described = describe(bom)
    models = described["models"]
    return {
        "model": _model(models[0], _file_safety(bom)) if models else None,
        "datasets": [_dataset(item) for item in described["datasets"]],
        "configs": [
            {"name": item["name"], "sha256": item["hashes"].get("SHA-256")}
            for item in described["configs"]
        ],
        "hyperparameters": {str(k): v for k, v in (described.get("hyperparameters") or {}).items()},
        "environment": {
            **{
                k.removeprefix("mbom:env:"): v
                for k, v in (described.get("environment") or {}).items()
            },
            **{f"git:{k}": v for k, v in (described.get("git") or {}).items()},
            **({"packages": str(described["packages"])} if described.get("packages") else {}),
        },
        "checkpoints": [
            {k.removeprefix("mbom:"): v for k, v in step.items()} for step in checkpoint_steps(bom)
        ],
        "run": _run(bom),
    }


def _run(bom: Mapping[str, Any]) -> dict[str, Any] | None:
    """The run's id, status and recoveries (``mbom:run:*``, written by the recorder)."""
    import json

    props: dict[str, str] = {}
    for item in (bom.get("metadata") or {}).get("properties") or ():
        if isinstance(item, Mapping) and str(item.get("name", "")).startswith("mbom:run:"):
            props[str(item["name"])] = str(item.get("value", ""))
    if not props:
        return None
    recoveries = []
    for n in range(1, len(props) + 1):
        raw = props.get(f"mbom:run:recovery:{n}")
        if raw is None:
            break
        try:
            recoveries.append(json.loads(raw))
        except ValueError:
            recoveries.append({"unreadable": raw})
    return {
        "id": props.get("mbom:run:id"),
        "status": props.get("mbom:run:status"),
        "journal": props.get("mbom:run:journal"),
        "recoveries": recoveries,
    }


def _file_safety(bom: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each model file's format and loading safety, as mbom.capture.checkpoints.safety reads
    the signed BOM (the same judgement as verify's unsafe-checkpoint check)."""
    from mbom.bom.subjects import recorded_file_safety

    try:
        recorded = recorded_file_safety(bom)
    except MalformedFileError:
        return {}
    return {
        r.path: {
            "format": r.format,
            "executesCode": r.executes,
            "safety": r.verdict,
            **({"findings": r.describe()} if r.safe is not True else {}),
        }
        for r in recorded
    }


def _bundle_signers(
    bundles: Sequence[str], verified: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Every signer every bundle names (as it states them), each marked verified or not.

    The verified list only holds signatures that checked out; an auditor also needs the ones
    that did not (a second key nobody trusted, a bundle that failed), so each is listed.
    """
    from mbom.bom.parents import bundle_signers

    rows: list[dict[str, Any]] = []
    for bundle in bundles:
        try:
            stated = bundle_signers(bundle)
        except MbomError as exc:
            rows.append({"bundle": bundle, "verified": False, "error": str(exc)})
            continue
        for signer in stated or [{}]:
            match = next(
                (
                    v
                    for v in verified
                    if v.get("bundle") == bundle
                    and (
                        v.get("keyHint") == signer.get("key")
                        or (
                            signer.get("identity") is not None
                            and v.get("identity") == signer.get("identity")
                        )
                    )
                ),
                None,
            )
            rows.append(
                {
                    "bundle": bundle,
                    **{k: str(v) for k, v in signer.items()},
                    "verified": match is not None,
                    **(
                        {"integratedTime": match["integratedTime"]}
                        if match and "integratedTime" in match
                        else {}
                    ),
                }
            )
    return rows


def _model(entry: Mapping[str, Any], safety: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    from mbom.bom.model_facts import file_facts, model_facts

    component, props = entry["component"], entry.get("properties", {})
    facts = model_facts(entry)
    return {
        "name": component.get("name"),
        "version": component.get("version"),
        "licenses": list(component.get("licenses") or ()),
        "task": facts["task"],
        "architecture": facts["architecture"],
        "family": facts["family"],
        "tensors": facts["tensors"],
        "parameters": facts["parameters"],
        "merkleRoot": props.get("mbom:merkle-root:sha256"),
        "fileCount": len(entry.get("files", [])),
        "bytes": props.get("mbom:model:bytes"),
        "files": [
            {
                "path": item["path"],
                "size": item.get("size"),
                "sha256": item["hashes"].get("SHA-256"),
                **({"role": item["role"]} if "role" in item else {}),
                **{k: v for k, v in file_facts(item).items() if k != "format" and v},
                **safety.get(item["path"], {}),
            }
            for item in entry.get("files", [])
        ],
        "parents": [
            {
                "name": a.get("name"),
                "version": a.get("version"),
                "purl": a.get("purl"),
                "serialNumber": a["properties"].get("mbom:parent:serialNumber"),
                "source": a["properties"].get("mbom:lineage:source"),
            }
            for a in entry.get("ancestors", [])
        ],
    }


def _dataset(item: Mapping[str, Any]) -> dict[str, Any]:
    props = item["properties"]
    return {
        "name": item["name"],
        "hashed": props.get("mbom:hashed") != "false",
        "location": props.get("mbom:dataset:location"),
        "files": props.get("mbom:dataset:files"),
        "bytes": props.get("mbom:dataset:bytes"),
        "merkleRoot": props.get("mbom:merkle-root:sha256"),
        "manifest": props.get("mbom:manifest"),
    }


def _trust_evidence(request: Any, policy: Any) -> dict[str, Any]:
    """The trust material used, each file with its SHA-256 (from the flags or the policy)."""

    def pick(flag: Any, attribute: str) -> Any:
        return flag or (getattr(policy, attribute) if policy is not None else None)

    keys: Sequence[str] = pick(request.keys, "keys") or ()
    identities = pick(request.identities, "identities") or ()
    root, config = (
        pick(request.trusted_root, "trusted_root"),
        pick(request.trust_config, "trust_config"),
    )
    return {
        "keys": [_file_evidence(key) for key in keys],
        "identities": [
            {
                "identity": rule.identity,
                "issuer": rule.issuer,
                "identityRegex": rule.identity_regex,
                "issuerRegex": rule.issuer_regex,
            }
            for rule in identities
        ],
        "trustedRoot": _file_evidence(root) if root else None,
        "trustConfig": _file_evidence(config) if config else None,
    }


def _file_evidence(path: str) -> dict[str, Any]:
    """A file named by the audit, with the SHA-256 of its bytes as read now."""
    from mbom.errors import InputError
    from mbom.hashing import hash_file

    try:
        digest: str | None = hash_file(path).digests["sha256"]
    except InputError:  # gone or unreadable since verification: say so, do not guess
        digest = None
    return {"path": path, "sha256": digest}
