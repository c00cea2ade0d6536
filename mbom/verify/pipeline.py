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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from mbom.errors import InputError, MbomError
from mbom.verify.checks import Check, Report, fail, passed, skipped
from mbom.verify.overlap import Overlap
from mbom.verify.policy import ENFORCE, Policy, load_policy
from mbom.verify.trust import IdentityRule, Trust, load_trust

if TYPE_CHECKING:  # the binding layer is imported once the model's workers hash
    from mbom.verify.binding import ModelOnDisk


@dataclass(frozen=True, slots=True)
class VerifyRequest:
    """What to verify and against what; trust may come from here or from the policy."""

    path: str
    bundles: tuple[str, ...]
    keys: tuple[str, ...] = ()
    identities: tuple[IdentityRule, ...] = ()
    trusted_root: str | None = None
    trust_config: str | None = None
    certificate_chain: str | None = None
    artifact_signature: bool = False
    policy: str | None = None
    datasets: str | None = None
    parents: tuple[str, ...] = ()
    schema: bool = True
    jobs: int | None = None
    executor: object | None = None
    """Hash the model and ``datasets`` elsewhere (``--dask``:
    :func:`mbom.hashing._dask.executor_for`)."""
    subject_tree: object | None = None
    """PATH as already read (an OCI artifact's layers, :mod:`mbom.verify.oci`): not hashed."""


@dataclass(frozen=True, slots=True)
class _Bundle:
    name: str
    document: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Inputs:
    """What verify reads besides the model: the policy, trust, bundles and parents."""

    policy: Policy | None
    trust: Trust
    bundles: list[_Bundle]
    malformed: list[Check]
    parents: Any


def _read_inputs(request: VerifyRequest) -> _Inputs:
    """Read once the model's workers hash (:mod:`mbom.verify.overlap`); errors still first."""
    from mbom.verify.lineage import ParentBundles

    policy = load_policy(request.policy) if request.policy else None
    trust = resolve_trust(request, policy)
    bundles, malformed = _read_bundles(request.bundles)
    return _Inputs(policy, trust, bundles, malformed, ParentBundles.load(list(request.parents)))


def verify(request: VerifyRequest) -> Report:
    """Run every check; raise only for input errors (exit 2) and missing bundles (exit 3)."""
    from mbom.hashing._location import is_remote

    if not is_remote(request.path) and not os.path.lexists(request.path):
        raise InputError(f"{request.path}: no such file or directory", path=request.path)
    if not request.bundles:
        raise InputError("give at least one --bundle")
    early = Overlap(
        lambda: _read_inputs(request),
        lambda inputs: _signature_layer(inputs.bundles, inputs.trust, request.schema),
    )
    model = _hash_model(request, early)
    inputs, (signatures, schema_checks) = early.finish()
    policy, trust, bundles, parents = inputs.policy, inputs.trust, inputs.bundles, inputs.parents
    malformed = inputs.malformed
    for index, bundle in enumerate(bundles):
        if "messageSignature" in bundle.document:
            signatures[index] = _message_signature(bundle, trust, model, request.path)
    report = _assemble(request, policy, trust, bundles, parents, model, signatures, schema_checks)
    return replace(report, checks=(*malformed, *report.checks)) if malformed else report


def _read_bundles(names: tuple[str, ...]) -> tuple[list[_Bundle], list[Check]]:
    """The bundles that parse, and a failing ``bundle`` check for each one that does not.

    A bundle's bytes are whoever wrote it to choose: a malformed one (not JSON, nested too
    deep, a key given twice, not a Sigstore bundle) is a "no" with a full report (exit 1), not
    an input error. A missing or unreadable file stays exit 3 / exit 2.
    """
    from mbom.attest.bundles import read_bundle
    from mbom.errors import MalformedFileError

    bundles: list[_Bundle] = []
    malformed: list[Check] = []
    for name in names:
        try:
            bundles.append(_Bundle(name, read_bundle(name)))
        except MalformedFileError as exc:
            malformed.append(fail("bundle", exc.message, path=name, bundle=name))
    return bundles, malformed


def resolve_trust(request: VerifyRequest, policy: Policy | None) -> Trust:
    """Trust from the flags or from the policy: each kind from one place, never both."""
    pairs = {
        "keys": (request.keys, policy.keys if policy else ()),
        "identities": (request.identities, policy.identities if policy else ()),
        "trusted root": (request.trusted_root, policy.trusted_root if policy else None),
        "trust config": (request.trust_config, policy.trust_config if policy else None),
        "certificate chain": (
            request.certificate_chain,
            policy.certificate_chain if policy else None,
        ),
    }
    for what, (flag, file) in pairs.items():
        if flag and file:
            raise InputError(
                f"{what} given both on the command line and in the policy: give it in one place"
            )
    chosen = {what: flag or file for what, (flag, file) in pairs.items()}
    return load_trust(
        keys=chosen["keys"],
        identities=chosen["identities"],
        trusted_root=chosen["trusted root"],
        trust_config=chosen["trust config"],
        certificate_chain=chosen["certificate chain"],
        artifact_signature=request.artifact_signature or bool(policy and policy.artifact_signature),
    )


def _hash_model(request: VerifyRequest, early: Overlap) -> ModelOnDisk:
    from mbom.hashing import hash_tree
    from mbom.verify.binding import ModelOnDisk

    if request.subject_tree is not None:
        return ModelOnDisk(tree=request.subject_tree, inside=())

    tree = hash_tree(
        request.path,
        cache=False,
        ignore_file=False,
        jobs=request.jobs,
        progress=early,
        report_anomalies=True,  # what differs on disk is a finding (exit 1), not an input error
        executor=request.executor,
    )
    from mbom.hashing._location import is_remote

    if is_remote(request.path):  # bundles are local files: none can be inside the model
        return ModelOnDisk(tree=tree, inside=())
    root = os.path.abspath(request.path)
    inside = []
    for name in request.bundles:
        rel = os.path.relpath(os.path.abspath(name), root)
        if tree.is_directory and not rel.startswith(".."):
            inside.append(rel.replace(os.sep, "/"))
    return ModelOnDisk(tree=tree, inside=tuple(inside))


def _signature_layer(bundles: list[_Bundle], trust: Trust, schema: bool) -> tuple[dict, dict]:
    from mbom.verify.bom_checks import bom_schema
    from mbom.verify.signature import check_signature

    signatures: dict[int, Any] = {}
    schema_checks: dict[int, Check] = {}
    for index, bundle in enumerate(bundles):
        if "messageSignature" in bundle.document:
            continue
        signatures[index] = check_signature(bundle.document, trust, bundle=bundle.name)
        statement = signatures[index].statement  # the verified one, else the envelope's
        if schema and statement is not None and statement.is_bom:
            schema_checks[index] = bom_schema(statement.predicate, bundle=bundle.name)
    return signatures, schema_checks


def _message_signature(bundle: _Bundle, trust: Trust, model: ModelOnDisk, path: str) -> Any:
    """A message signature binds one file, and only when the caller asked for that protocol.

    Domain separation (docs/attestation.md): keys trusted for MBOM attestations sign DSSE
    envelopes; the same key's ECDSA/RSA signature over the PAE is also a valid signature over
    sha256(PAE), so without the opt-in a DSSE signature could be re-wrapped as a "signature
    of a file" (and the file would be the PAE bytes, refused below even with the opt-in).
    """
    from mbom.verify.signature import SignatureOutcome, check_signature

    def failed(check_id: str, message: str, **details: Any) -> Any:
        check = fail(check_id, message, bundle=bundle.name, **details)
        return SignatureOutcome(None, (check,), None)

    if not trust.artifact_signature:
        return failed(
            "artifact-signature",
            "the bundle is a message signature over a bare file, not a DSSE in-toto "
            "attestation; accept it with --artifact-signature "
            "(or policy trust.artifactSignature: true)",
            expected="dsseEnvelope",
            actual="messageSignature",
        )
    digest = model.sha256()
    if digest is None:
        return failed("message-digest", "a message signature signs one file; PATH is a directory")
    if _is_dsse_pae(path):
        return failed(
            "artifact-signature",
            "the file is a DSSE pre-authentication encoding: a DSSE signature re-wrapped as "
            "a message signature is not a signature of this file",
            path=path,
        )
    outcome = check_signature(bundle.document, trust, bundle=bundle.name, artifact_digest=digest)
    if outcome.verified is None:
        return outcome
    opted = passed(
        "artifact-signature", "message signature accepted (opted in)", bundle=bundle.name
    )
    return SignatureOutcome(outcome.verified, (opted, *outcome.checks), None)


def _is_dsse_pae(path: str) -> bool:
    """Whether the file starts like a DSSE v1 pre-authentication encoding."""
    from mbom.attest._internal.dsse import PAE_PREFIX
    from mbom.hashing._location import is_remote, open_location

    try:
        if is_remote(path):
            location = open_location(path)
            with location.open(next(location.find())) as handle:
                return handle.read(len(PAE_PREFIX)) == PAE_PREFIX
        with open(path, "rb") as handle:
            return handle.read(len(PAE_PREFIX)) == PAE_PREFIX
    except (OSError, StopIteration, MbomError):
        return False  # the file was hashed a moment ago; its digest check still applies


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
    from mbom.verify.binding import (
        MBOM,
        MESSAGE,
        Binding,
        attestation_kind,
        bind,
        bind_message,
        describe_kind,
    )
    from mbom.verify.bom_checks import bom_agreement, bom_summary, recorded_ignored
    from mbom.verify.coverage import Covered, model_coverage, verified_files

    checks: list[Check] = []
    signers: list[dict[str, str]] = []
    attestations: list[dict[str, Any]] = []
    covered: list[Covered] = []
    primary = None
    for index, bundle in enumerate(bundles):
        outcome = signatures[index]
        statement = outcome.statement
        kind = attestation_kind(statement)
        predicate_type = statement.predicate_type if statement is not None else None
        own = [passed("bundle", "Sigstore bundle read", bundle=bundle.name), *outcome.checks]
        own.append(
            passed("predicate-type", describe_kind(kind, predicate_type), bundle=bundle.name)
        )
        binding = Binding(checks=())
        malformed_bom = bom_shape_problem(statement.predicate) if kind == MBOM else None
        if malformed_bom is not None:  # signed or not, the readers below must not meet it
            # (binding stays empty: a malformed BOM vouches for no file)
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
            binding = bind(
                statement,
                kind,
                model,
                bundle=bundle.name,
                bom_files=bom_files,
                recorded_ignored=recorded_ignored(statement.predicate),
            )
            own += binding.checks
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
            binding = bind(statement, kind, model, bundle=bundle.name)
            own += binding.checks
        elif kind == MESSAGE:
            binding = bind_message(model, outcome.verified is not None)
        else:
            own.append(
                fail("statement", "the bundle's statement cannot be read", bundle=bundle.name)
            )
        ok = outcome.verified is not None and not any(c.failed for c in own)
        covered.append(Covered(bundle=bundle.name, verified=ok, binding=binding))
        attestations.append(
            {
                "bundle": bundle.name,
                "predicateType": predicate_type or "message-signature",
                "kind": kind,
                "verified": ok,
                "coversModel": covered[-1].covers_model,
            }
        )
        signers += [{**s, "bundle": bundle.name} for s in outcome.signers]
        checks += own
    files = tuple(f.path for f in model.files)
    checks += model_coverage(files, covered)
    bom = primary[1] if primary else None
    from mbom.verify.files import anomaly_checks

    checks += anomaly_checks(model.tree.anomalies)
    checks += _bom_dependent(request, trust, parents, primary)
    if bom is not None:
        from mbom.verify.checkpoints import unsafe_checkpoints

        checks += unsafe_checkpoints(bom, policy)
    if policy is not None:
        from mbom.verify.rules import Evidence, evaluate_rules

        lineage = [c for c in checks if c.id == "lineage"]
        rule_signers = [{k: v for k, v in s.items() if k != "integratedTime"} for s in signers]
        checks += evaluate_rules(
            policy,
            Evidence(bom=bom, attestations=attestations, signers=rule_signers, lineage=lineage),
        )
    return Report(
        subject=request.path,
        checks=tuple(checks),
        signers=tuple(signers),
        bom=bom_summary(bom) if bom is not None else None,
        mode=policy.mode if policy else ENFORCE,
        attestations=tuple(attestations),
        files=verified_files(covered),
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
        checks += check_datasets(
            bom, request.datasets, manifest_dirs=[here], executor=request.executor
        )
    return checks
