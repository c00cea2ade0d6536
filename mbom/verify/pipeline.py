"""The verification pipeline: every check runs, none hides another, one Report comes out.

Usage::

    from mbom.verify.pipeline import VerifyRequest, verify

    report = verify(VerifyRequest(path="model/", bundles=("bom.cdx.json.sigstore.json",),
                                  keys=("release.pub",)))
    report.verified, report.exit_code

Order: inputs are read first (a bad file is an input error before anything is hashed);
PATH is hashed once, without the cache and with the default ignore set only (never the
``.mbomignore`` on disk); while the large files stream, the signature layer and the BOM
schema are checked on another thread; then each bundle is bound to the files, and the BOM,
datasets, lineage and policy are checked. See docs/verify.md.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mbom.errors import InputError
from mbom.verify.binding import MBOM, MESSAGE, ModelOnDisk, attestation_kind, bind, describe_kind
from mbom.verify.checks import Check, Report, fail, passed, skipped
from mbom.verify.policy import ENFORCE, Policy, load_policy
from mbom.verify.trust import IdentityRule, Trust, load_trust


@dataclass(frozen=True, slots=True)
class VerifyRequest:
    """What to verify and against what; trust may come from here or from the policy."""

    path: str
    bundles: tuple[str, ...]
    keys: tuple[str, ...] = ()
    identities: tuple[IdentityRule, ...] = ()
    trusted_root: str | None = None
    trust_config: str | None = None
    policy: str | None = None
    datasets: str | None = None
    parents: tuple[str, ...] = ()
    schema: bool = True
    jobs: int | None = None


@dataclass(frozen=True, slots=True)
class _Bundle:
    name: str
    document: dict[str, Any]
    malformed: str | None = None  # why the file is not a readable bundle (a FAIL, not exit 2)


def _read_bundle(name: str) -> _Bundle:
    """A bundle's content is the producer's (or an attacker's), not the user's: a malformed
    one is a failed ``bundle`` check with the reason. A missing file stays exit 3 and an
    unreadable path (permissions, a directory) exit 2: those are about the user's input."""
    from mbom.attest.bundles import read_bundle
    from mbom.errors import MalformedFileError

    try:
        return _Bundle(name, read_bundle(name))
    except MalformedFileError as exc:
        return _Bundle(name, {}, malformed=str(exc))


def verify(request: VerifyRequest) -> Report:
    """Run every check; raise only for input errors (exit 2) and missing bundles (exit 3)."""
    from mbom.verify.lineage import ParentBundles

    if not os.path.lexists(request.path):
        raise InputError(f"{request.path}: no such file or directory", path=request.path)
    if not request.bundles:
        raise InputError("give at least one --bundle")
    policy = load_policy(request.policy) if request.policy else None
    trust = resolve_trust(request, policy)
    bundles = [_read_bundle(name) for name in request.bundles]
    parents = ParentBundles.load(list(request.parents))
    early = _Overlap(lambda: _signature_layer(bundles, trust, request.schema))
    model = _hash_model(request, early)
    signatures, schema_checks = early.finish()
    for index, bundle in enumerate(bundles):
        if "messageSignature" in bundle.document and bundle.malformed is None:
            signatures[index] = _message_signature(bundle, trust, model)
    return _assemble(request, policy, trust, bundles, parents, model, signatures, schema_checks)


def resolve_trust(request: VerifyRequest, policy: Policy | None) -> Trust:
    """Trust from the flags or from the policy: each kind from one place, never both."""
    pairs = {
        "keys": (request.keys, policy.keys if policy else ()),
        "identities": (request.identities, policy.identities if policy else ()),
        "trusted root": (request.trusted_root, policy.trusted_root if policy else None),
        "trust config": (request.trust_config, policy.trust_config if policy else None),
    }
    for what, (flag, file) in pairs.items():
        if flag and file:
            raise InputError(
                f"{what} given both on the command line and in the policy: give it in one place"
            )
    return load_trust(
        keys=request.keys or (policy.keys if policy else ()),
        identities=request.identities or (policy.identities if policy else ()),
        trusted_root=request.trusted_root or (policy.trusted_root if policy else None),
        trust_config=request.trust_config or (policy.trust_config if policy else None),
    )


class _Overlap:
    """Runs ``work`` on a thread once hashing streams its large files (after any fork), or
    inline afterwards: the signature layer costs nothing extra on a machine with a spare core.
    """

    def __init__(self, work: Callable[[], Any]) -> None:
        self._work, self._thread = work, None
        self._result: Any = None
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            self._result = self._work()
        except BaseException as exc:  # re-raised by finish() in the calling thread
            self._error = exc

    def start(self, total_bytes: int, total_files: int) -> None:
        if self._thread is None and total_files:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def advance(self, nbytes: int) -> None:
        """Progress is not shown."""

    def finish(self) -> Any:
        if self._thread is None:
            self._run()
        else:
            self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result


def _hash_model(request: VerifyRequest, early: _Overlap) -> ModelOnDisk:
    from mbom.hashing import hash_tree

    tree = hash_tree(
        request.path, cache=False, ignore_file=False, jobs=request.jobs, progress=early
    )
    root = os.path.abspath(request.path)
    inside = []
    for name in request.bundles:
        rel = os.path.relpath(os.path.abspath(name), root)
        if tree.is_directory and not rel.startswith(".."):
            inside.append(rel.replace(os.sep, "/"))
    return ModelOnDisk(tree=tree, inside=tuple(inside))


def _signature_layer(bundles: list[_Bundle], trust: Trust, schema: bool) -> tuple[dict, dict]:
    from mbom.verify.bom_checks import bom_schema
    from mbom.verify.signature import check_signature, unverified_statement

    signatures: dict[int, Any] = {}
    schema_checks: dict[int, Check] = {}
    for index, bundle in enumerate(bundles):
        if "messageSignature" in bundle.document or bundle.malformed is not None:
            continue
        signatures[index] = check_signature(bundle.document, trust, bundle=bundle.name)
        statement = unverified_statement(bundle.document)
        if schema and statement is not None and statement.is_bom:
            schema_checks[index] = bom_schema(statement.predicate, bundle=bundle.name)
    return signatures, schema_checks


def _message_signature(bundle: _Bundle, trust: Trust, model: ModelOnDisk) -> Any:
    from mbom.verify.signature import SignatureOutcome, check_signature

    digest = model.sha256()
    if digest is None:
        check = fail(
            "message-digest",
            "a message signature signs one file; PATH is a directory",
            bundle=bundle.name,
        )
        return SignatureOutcome(None, (check,), None)
    return check_signature(bundle.document, trust, bundle=bundle.name, artifact_digest=digest)


def _assemble(
    request: VerifyRequest,
    policy: Policy | None,
    trust: Trust,
    bundles: list[_Bundle],
    parents: Any,
    model: ModelOnDisk,
    signatures: dict[int, Any],
    schema_checks: dict[int, Check],
) -> Report:
    from mbom.bom.shape import bom_shape_problem
    from mbom.verify.bom_checks import bom_agreement, bom_summary, recorded_ignored

    checks: list[Check] = []
    signers: list[dict[str, str]] = []
    attestations: list[dict[str, Any]] = []
    primary = None
    for index, bundle in enumerate(bundles):
        if bundle.malformed is not None:
            checks.append(fail("bundle", bundle.malformed, bundle=bundle.name))
            continue
        outcome = signatures[index]
        statement = outcome.statement
        kind = attestation_kind(statement)
        predicate_type = statement.predicate_type if statement is not None else None
        own = [passed("bundle", "Sigstore bundle read", bundle=bundle.name), *outcome.checks]
        own.append(
            passed("predicate-type", describe_kind(kind, predicate_type), bundle=bundle.name)
        )
        malformed_bom = bom_shape_problem(statement.predicate) if kind == MBOM else None
        if malformed_bom is not None:  # signed or not, readers below must not meet it
            own.append(
                fail("bom-schema", f"the BOM is malformed: {malformed_bom}", bundle=bundle.name)
            )
        elif kind == MBOM:
            from mbom.bom.subjects import model_files
            from mbom.errors import MalformedFileError

            try:
                bom_files = model_files(statement.predicate)
            except MalformedFileError:
                bom_files = ()
            own += bind(
                statement,
                kind,
                model,
                bundle=bundle.name,
                bom_files=bom_files,
                recorded_ignored=recorded_ignored(statement.predicate),
            )
            own.append(
                schema_checks.get(index)
                or skipped(
                    "bom-schema", "schema validation turned off (--no-schema)", bundle=bundle.name
                )
            )
            own += bom_agreement(statement, model, bundle=bundle.name)
            if primary is None:
                primary = (bundle, statement.predicate)
        elif statement is not None:
            own += bind(statement, kind, model, bundle=bundle.name)
        elif kind != MESSAGE:
            own.append(
                fail("statement", "the bundle's statement cannot be read", bundle=bundle.name)
            )
        ok = outcome.verified is not None and not any(c.failed for c in own)
        attestations.append(
            {
                "bundle": bundle.name,
                "predicateType": predicate_type or "message-signature",
                "kind": kind,
                "verified": ok,
            }
        )
        signers += [{**s, "bundle": bundle.name} for s in outcome.signers]
        checks += own
    bom = primary[1] if primary else None
    checks += _bom_dependent(request, trust, parents, primary)
    if policy is not None:
        from mbom.verify.rules import Evidence, evaluate_rules

        lineage = [c for c in checks if c.id == "lineage"]
        bare_signers = [
            {k: v for k, v in s.items() if k not in ("bundle", "integratedTime")} for s in signers
        ]
        checks += evaluate_rules(
            policy,
            Evidence(bom=bom, attestations=attestations, signers=bare_signers, lineage=lineage),
        )
    return Report(
        subject=request.path,
        checks=tuple(checks),
        signers=tuple(signers),
        bom=bom_summary(bom) if bom is not None else None,
        mode=policy.mode if policy else ENFORCE,
        attestations=tuple(attestations),
        files=tuple(f.path for f in model.files),
    )


def _bom_dependent(request: VerifyRequest, trust: Trust, parents: Any, primary: Any) -> list[Check]:
    from mbom.verify.datasets import check_datasets
    from mbom.verify.lineage import check_lineage

    if primary is None:
        checks = [skipped("lineage", "no MBOM attestation: no lineage to check")]
        if request.datasets:
            checks.append(fail("dataset", "--datasets needs an MBOM attestation"))
        return checks
    bundle, bom = primary
    checks = check_lineage(bom, parents, trust)
    if request.datasets:
        here = os.path.dirname(os.path.abspath(bundle.name))
        checks += check_datasets(bom, request.datasets, manifest_dirs=[here])
    return checks
