"""Does some verified attestation speak for the WHOLE model? (check ``model-coverage``)

Usage::

    from mbom.verify.coverage import Covered, model_coverage, verified_files

    items = [Covered(bundle="slsa.sigstore.json", verified=True, binding=binding), ...]
    checks = model_coverage(model_files, items)       # one pass, or the failures
    files = verified_files(items)                     # what verified_model() may hand out

An in-toto statement may name one file of a directory (SLSA provenance usually lists the
artifacts a build produced). That proves those files, and nothing about the others: a model
whose only attestation is such a statement, with an ``evil.py`` added beside, must not
verify. So a model verifies only when one verified attestation covers every file (an MBOM,
an OMS signature, an in-toto statement listing them all, a message signature over a single
file); several partial ones do not add up to a whole, because no one signer vouched for the
combination.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mbom.verify.binding import Binding
from mbom.verify.checks import Check, fail, passed
from mbom.verify.files import MAX_LISTED


@dataclass(frozen=True, slots=True)
class Covered:
    """One bundle's outcome: did its signature and every one of its checks pass?"""

    bundle: str
    verified: bool
    binding: Binding

    @property
    def covers_model(self) -> bool:
        return self.verified and self.binding.whole


def verified_files(items: Sequence[Covered]) -> tuple[str, ...]:
    """The files some passing attestation covered (sorted): never extras, never ignored."""
    return tuple(sorted({path for item in items if item.verified for path in item.binding.covered}))


def model_coverage(model_files: Sequence[str], items: Sequence[Covered]) -> list[Check]:
    """``model-coverage``: pass naming the attestation that covers the whole model, or fail."""
    whole = [item for item in items if item.covers_model]
    if whole:
        return [
            passed(
                "model-coverage",
                f"a verified attestation covers every model file ({len(model_files)})",
                bundle=whole[0].bundle,
            )
        ]
    if not any(item.verified for item in items):  # another check failed first, and says why
        return [fail("model-coverage", "no verified attestation covers the model", evaluated=False)]
    covered = set(verified_files(items))
    uncovered = [path for path in model_files if path not in covered]
    if not uncovered:
        partial = ", ".join(item.bundle for item in items if item.verified)
        return [
            fail(
                "model-coverage",
                "no single attestation covers the whole model: each of "
                f"{partial} lists only part of it",
            )
        ]
    checks = [
        fail(
            "model-coverage",
            f"model file {path}: no verified attestation covers it "
            "(no attestation covers the whole model)",
            path=path,
        )
        for path in uncovered[:MAX_LISTED]
    ]
    if len(uncovered) > MAX_LISTED:
        more = len(uncovered) - MAX_LISTED
        checks.append(fail("model-coverage", f"... and {more} more files no attestation covers"))
    return checks
