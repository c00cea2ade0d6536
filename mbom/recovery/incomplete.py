"""The BOM of a run that never finished, from its journal (``generate --from-journal``).

Usage::

    from mbom.generate import GenerateRequest
    from mbom.recovery import recover
    from mbom.recovery.incomplete import incomplete_bom

    found = recover("out", keys=["release.pub"])
    built = incomplete_bom(found, GenerateRequest(environment=False), manifest_stem="bom")

The model is the newest checkpoint that verifies (re-hashed, never loaded); the chain, the
hyperparameters and the name come from the journal; ``mbom:run:status`` is ``incomplete`` and
each dataset root the run started with is kept as ``mbom:run:dataset:NAME``. Datasets and
configs given in the request are captured as ``mbom generate`` captures them.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

from mbom.bom.ml_parts import Prop
from mbom.errors import TrustMaterialError, VerificationError
from mbom.recovery.pick import Recovery
from mbom.recovery.session import recovery_summary, run_properties, step_of


def incomplete_bom(found: Recovery, request: Any, *, manifest_stem: str) -> Any:
    """A validated :class:`mbom.bom.build.BuiltBom` for the run ``found`` describes."""
    from mbom.bom.build import build_bom
    from mbom.capture.model import capture_model
    from mbom.generate import build_options, capture_context, request_algorithms

    if found.problem is not None:
        raise VerificationError(
            f"{found.journal} does not verify: {found.problem}", path=found.journal
        )
    if found.run is None or not found.run.checkpoints:
        raise TrustMaterialError(f"{found.journal}: no checkpoint recorded: nothing to describe")
    if found.checkpoint is None or found.path is None:
        raise VerificationError(
            f"{found.journal}: no recorded checkpoint verifies: "
            + "; ".join(item.message for item in found.skipped),
            path=found.journal,
        )
    start = found.run.start
    model = capture_model(found.path, algorithms=request_algorithms(request), cache=False)
    context = capture_context(request, cache=False)
    pairs = run_properties(
        found.run.run_id,
        found.journal,
        [recovery_summary(event) for event in found.run.recoveries],
        complete=False,
    )
    pairs += [
        (f"mbom:run:dataset:{item.get('name')}", str(item.get("merkleRoot")))
        for item in start.get("datasets") or ()
        if isinstance(item, dict)
    ]
    inputs = replace(
        context,
        model=model,
        name=request.name or start.get("name"),
        version=request.version or start.get("version"),
        checkpoints=tuple(step_of(os.fspath(found.run_dir), c) for c in found.chain),
        parameters=dict(start.get("parameters") or {}),
        properties=tuple(Prop(name, value) for name, value in pairs),
    )
    return build_bom(inputs, build_options(request, manifest_stem))
