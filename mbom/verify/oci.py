"""Verify a model stored in an OCI registry, or a directory pulled from one (``--oci-ref``).

Usage::

    from mbom.verify.oci import verify_oci

    report = verify_oci(request, "oci://127.0.0.1:5000/models/demo:v1")   # PATH = the ref
    report = verify_oci(request, "oci://.../demo:v1")   # request.path = a pulled directory

The reference is resolved once; the digest it resolved to is what is verified and reported
(``Report.subject``). The artifact's layers (name, size, digest, from the manifest whose
bytes hash to that digest) take the place of the files on disk in the ordinary pipeline
(:mod:`mbom.verify.pipeline`: signature, statement subjects, BOM, lineage, policy), so a
replaced layer fails the binding naming it. Bundles come from ``--bundle`` or from the
registry (:func:`mbom.attest.oci_referrers.discover_bundles`); none at all is exit 3. Then:

* ``oci-manifest``: each verified BOM must record this very manifest digest (a bundle made
  for another digest whose layers happen to match is still refused: config and annotations
  differ);
* ``oci-content`` (``--oci-ref``): the directory holds exactly the layers' contents -- a raw
  layer's file has the layer's digest, a tar layer's files are the members it unpacks to
  (the layer is downloaded and read as a stream, digest checked), nothing else is there.

What the registry serves is a finding, not an input error: a manifest whose bytes do not hash
to the digest asked for, or too large, is a failed ``oci-registry`` check (exit 1).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import replace
from typing import Any

from mbom.errors import TrustMaterialError
from mbom.verify.checks import WARN, Check, Report, fail, passed, skipped
from mbom.verify.pipeline import VerifyRequest, verify


def verify_oci(request: VerifyRequest, reference: str, *, platform: str | None = None) -> Report:
    """Verify the artifact at ``reference`` (and ``request.path`` against it when that is a
    local directory); see the module docstring."""
    from mbom.capture.oci import layer_tree
    from mbom.hashing._oci_manifest import RegistryIntegrityError
    from mbom.hashing._oci_ref import is_oci, parse_reference
    from mbom.hashing._oci_registry import resolve

    ref = parse_reference(reference)
    local = None if is_oci(request.path) else request.path
    try:
        artifact = resolve(ref, platform)
    except RegistryIntegrityError as exc:
        check = fail("oci-registry", exc.message, expected=exc.expected, actual=exc.actual)
        return Report(subject=ref.display, checks=(check,))
    pinned = artifact.reference.display
    workdir = tempfile.mkdtemp(prefix="mbom-oci-verify-")
    try:
        bundles, found = _bundles(request, artifact, workdir)
        tree, layers = layer_tree(artifact)
        report = verify(replace(request, path=pinned, bundles=bundles, subject_tree=tree))
        first = [passed("oci-resolve", f"{ref.display} resolved to {artifact.manifest.digest}")]
        first += found
        last = _manifest_checks(report, bundles, artifact.manifest.digest)
        if local is not None:
            from mbom.verify.oci_content import content_checks

            inside = frozenset(
                os.path.relpath(os.path.abspath(b), os.path.abspath(local)).replace(os.sep, "/")
                for b in request.bundles
            )
            last += content_checks(
                local, artifact, layers, workdir, jobs=request.jobs, inside=inside
            )
        labelled = _labelled(
            replace(report, checks=(*first, *report.checks, *last)), bundles, request.bundles
        )
        return replace(labelled, subject=local if local is not None else pinned)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _labelled(report: Report, bundles: tuple[str, ...], given: tuple[str, ...]) -> Report:
    """Name each bundle found in the registry by its referrer digest, not its temporary file."""
    if given:
        return report
    names = {}
    for path in bundles:
        stem = os.path.basename(path).removeprefix("referrer-").removesuffix(".sigstore.json")
        names[path] = names[os.path.basename(path)] = f"referrer sha256:{stem}"

    def name(value: Any) -> Any:
        return names.get(value, value)

    return replace(
        report,
        checks=tuple(replace(c, bundle=name(c.bundle)) for c in report.checks),
        signers=tuple({**s, "bundle": name(s.get("bundle"))} for s in report.signers),
        attestations=tuple({**a, "bundle": name(a.get("bundle"))} for a in report.attestations),
    )


def _bundles(request: VerifyRequest, artifact: Any, workdir: str) -> tuple[tuple[str, ...], list]:
    """The bundles given, or those attached in the registry (exit 3 when there are none)."""
    if request.bundles:
        return request.bundles, [skipped("oci-referrers", "bundles given with --bundle")]
    from mbom.attest.oci_referrers import discover_bundles

    found = discover_bundles(artifact, workdir)
    checks: list[Check] = [
        Check("oci-referrer", WARN, f"referrer {digest} not used: {reason}")
        for digest, reason in found.rejected
    ]
    how = "Referrers API" if found.via == "api" else "referrers tag schema"
    if not found.paths:
        reasons = "; ".join(reason for _, reason in found.rejected)
        raise TrustMaterialError(
            f"{artifact.reference.display}: no bundle is attached ({how})"
            + (f"; rejected: {reasons}" if reasons else "")
        )
    checks.insert(
        0, passed("oci-referrers", f"{len(found.paths)} bundle(s) found through the {how}")
    )
    return found.paths, checks


def _manifest_checks(report: Report, bundles: tuple[str, ...], digest: str) -> list[Check]:
    """Each MBOM attestation must record the manifest digest being verified (a mismatch is
    reported for any bundle; a pass only for one that verified)."""
    from mbom.attest.bundles import read_bundle
    from mbom.bom.oci_parts import MANIFEST_DIGEST, recorded_oci
    from mbom.bom.subjects import model_component
    from mbom.errors import MbomError
    from mbom.verify.signature import unverified_statement

    verified = {a["bundle"]: a["verified"] for a in report.attestations if a["kind"] == "mbom"}
    checks = []
    for name in bundles:
        if name not in verified:
            continue
        shown = os.path.basename(name)
        try:
            statement = unverified_statement(read_bundle(name))
            recorded = recorded_oci(model_component(statement.predicate)).get(MANIFEST_DIGEST)
        except (MbomError, AttributeError):
            recorded = None
        if not verified[name] and recorded in (None, digest):
            continue  # an unverified bundle earns no pass; its other checks already fail
        if recorded is None:
            checks.append(
                skipped(
                    "oci-manifest",
                    "the BOM records no OCI manifest (made from files): bound by the layer "
                    "digests only",
                    bundle=shown,
                )
            )
        elif recorded == digest:
            checks.append(
                passed("oci-manifest", f"the BOM records this manifest, {digest}", bundle=shown)
            )
        else:
            checks.append(
                fail(
                    "oci-manifest",
                    f"the bundle is for another artifact: its BOM records {recorded}",
                    expected=digest,
                    actual=recorded,
                    bundle=shown,
                )
            )
    return checks
