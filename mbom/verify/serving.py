"""For serving code: verify a model, then load only the paths that were verified.

Usage::

    from mbom.verify.serving import verified_model

    model = verified_model("/models/sentiment", bundles=["/models/sentiment.sigstore.json"],
                           keys=["/etc/mbom/release.pub"], policy="/etc/mbom/policy.yaml")
    weights = model.file("model.safetensors")      # an absolute path that was verified
    model.report                                   # every check, for logs

:func:`verified_model` raises :class:`~mbom.errors.VerificationError` (or
:class:`~mbom.errors.TrustMaterialError`) unless every check passed, so code after it only
runs for an attested model.

**Time of check, time of use.** Verification reads the files, then your server reads them
again. Anyone who can write to the directory in between can swap a file after it was checked.
Close the window by making the files immutable for the server's lifetime: verify a read-only
mount (a Kubernetes volume mounted ``readOnly: true`` from an image or a PVC nobody else
writes; ``mount -o ro``), or copy the model to a private directory first and verify the copy
(:func:`verified_copy`), and load only from there. See docs/threat-model.md.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass

from mbom.errors import InputError, TrustMaterialError, VerificationError
from mbom.verify.checks import EXIT_CANNOT_EVALUATE, Report
from mbom.verify.trust import IdentityRule


@dataclass(frozen=True, slots=True)
class VerifiedModel:
    """A model whose every check passed: its root, its verified files, and the report."""

    root: str
    files: tuple[str, ...]  # POSIX paths relative to root, as attested
    report: Report

    def file(self, name: str) -> str:
        """Absolute path of a verified file; refuses a name that was not verified."""
        if name not in self.files:
            raise InputError(f"{name}: not a verified file of {self.root}")
        if os.path.isdir(self.root):
            return os.path.join(self.root, *name.split("/"))
        return self.root

    def paths(self) -> list[str]:
        return [self.file(name) for name in self.files]


def verified_model(
    path: str | os.PathLike[str],
    *,
    bundles: Sequence[str | os.PathLike[str]],
    keys: Sequence[str | os.PathLike[str]] = (),
    identities: Sequence[IdentityRule] = (),
    trusted_root: str | os.PathLike[str] | None = None,
    trust_config: str | os.PathLike[str] | None = None,
    policy: str | os.PathLike[str] | None = None,
) -> VerifiedModel:
    """Verify ``path`` like ``mbom verify``; return its verified files or raise."""
    from mbom.verify.pipeline import VerifyRequest, verify

    root = os.path.abspath(os.fspath(path))
    report = verify(
        VerifyRequest(
            path=root,
            bundles=tuple(os.fspath(b) for b in bundles),
            keys=tuple(os.fspath(k) for k in keys),
            identities=tuple(identities),
            trusted_root=os.fspath(trusted_root) if trusted_root else None,
            trust_config=os.fspath(trust_config) if trust_config else None,
            policy=os.fspath(policy) if policy else None,
        )
    )
    if not report.verified:
        first = report.failures()[0]
        error = TrustMaterialError if report.exit_code == EXIT_CANNOT_EVALUATE else None
        if error is not None:
            raise error(f"{root}: cannot verify: {first.message}")
        raise VerificationError(
            f"{root}: not verified: {first.id}: {first.message}",
            path=first.path,
            expected=first.expected,
            actual=first.actual,
            check=first.id,
        )
    return VerifiedModel(root=root, files=report.files, report=report)


def verified_copy(
    path: str | os.PathLike[str], destination: str | os.PathLike[str], **kwargs: object
) -> VerifiedModel:
    """Copy the model to ``destination`` (a private directory) and verify the copy."""
    source, target = os.fspath(path), os.fspath(destination)
    if os.path.isdir(source):
        shutil.copytree(source, target, symlinks=True)
    else:
        shutil.copy2(source, target)
    return verified_model(target, **kwargs)  # type: ignore[arg-type]
