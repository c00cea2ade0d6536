"""The ``unsafe-checkpoint`` check: what the signed BOM says about code-executing files.

Usage::

    from mbom.verify.checkpoints import unsafe_checkpoints

    checks = unsafe_checkpoints(bom, policy)   # one check per unsafe file, or one pass

The files' bytes were bound to the BOM by digest, so what the BOM records about them (format,
safe-to-load, the callables found, from :mod:`mbom.capture.checkpoints.safety`) is about these
bytes: nothing is re-scanned here. Without a policy an unsafe file is a warning (the gate does
not decide for the deployer); a policy with ``forbidFlaggedCheckpoints`` makes each flagged
file a failure, and ``forbidPickle`` each file whose format can run code, flagged or not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mbom.verify.checks import FAIL, WARN, Check, passed
from mbom.verify.policy import WARN_MODE, Policy

CHECK_ID = "unsafe-checkpoint"


def unsafe_checkpoints(bom: Mapping[str, Any], policy: Policy | None) -> list[Check]:
    """One ``unsafe-checkpoint`` check per file that is flagged (or forbidden by the policy)."""
    from mbom.bom.subjects import recorded_file_safety
    from mbom.errors import MalformedFileError

    try:
        files = recorded_file_safety(bom)
    except MalformedFileError:
        return []  # bom-subjects already fails a BOM without a model
    rules = policy.rules if policy is not None else {}
    forbid_flagged = rules.get("forbidFlaggedCheckpoints") is True
    forbid_code = rules.get("forbidPickle") is True
    checks = []
    unknown = [f for f in files if f.safe is None]
    if unknown and not (forbid_flagged or forbid_code):
        # An older or foreign BOM that does not say how its files were examined: one warning.
        checks.append(
            Check(
                CHECK_ID,
                WARN,
                f"{len(unknown)} file(s) not proven safe to load: {unknown[0].reason}: "
                + ", ".join(f.path for f in unknown[:5]),
                path=unknown[0].path,
            )
        )
    for item in files:
        if item.safe is None and not (forbid_flagged or forbid_code):
            continue
        if item.flagged:
            status = (
                FAIL if forbid_flagged or (forbid_code and item.executes is not False) else WARN
            )
            checks.append(
                Check(
                    CHECK_ID,
                    status,
                    f"{item.path} is unsafe to load: {item.describe()}",
                    path=item.path,
                    actual=", ".join(item.callables) or item.reason,
                )
            )
        elif forbid_code and item.executes is not False:
            checks.append(
                Check(
                    CHECK_ID,
                    FAIL,
                    f"{item.path} can run code when loaded ({item.format}); the policy forbids "
                    "code-executing formats",
                    path=item.path,
                    actual=item.format,
                )
            )
    if policy is not None and policy.mode == WARN_MODE:
        checks = [c.softened() for c in checks]
    if checks:
        return checks
    code = sum(1 for f in files if f.executes)
    return [
        passed(
            CHECK_ID,
            f"no file is flagged unsafe ({code} of {len(files)} in a code-executing format, "
            "safe as scanned)",
        )
    ]
