"""Read back the checkpoint chain a training recorder wrote into a BOM (to resume it).

Usage::

    from mbom.bom.recorded_chain import recorded_steps

    steps = recorded_steps(Path("out/bom.cdx.json"))   # CheckpointStep, in order
"""

from __future__ import annotations

from pathlib import Path

from mbom.bom.build import CheckpointStep
from mbom.bom.ml_parts import Prop
from mbom.errors import InputError
from mbom.load import parse_json


def recorded_steps(bom_path: Path) -> list[CheckpointStep]:
    """The checkpoint chain of a BOM this recorder wrote (formulation steps, in order)."""
    try:
        document = parse_json(bom_path.read_bytes())
        workflow = document["formulation"][0]["workflows"][0]
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        raise InputError(f"{bom_path}: cannot read the checkpoint chain to resume") from None
    steps = []
    for raw in workflow.get("steps", []):
        props = {p["name"]: p["value"] for p in raw.get("properties", [])}
        digest = props.get("mbom:merkle-root:sha256") or props.get("mbom:checkpoint:sha256")
        if digest is None:
            continue
        known = {"mbom:checkpoint:path", "mbom:checkpoint:step", "mbom:checkpoint:index"}
        known |= {"mbom:merkle-root:sha256", "mbom:checkpoint:sha256", "mbom:checkpoint:parent"}
        steps.append(
            CheckpointStep(
                path=props.get("mbom:checkpoint:path", ""),
                step=int(props["mbom:checkpoint:step"])
                if "mbom:checkpoint:step" in props
                else None,
                merkle_root=digest,
                metrics={
                    name.removeprefix("mbom:metric:"): parse_json(value, allow_nan=True)
                    for name, value in props.items()
                    if name.startswith("mbom:metric:")
                },
                parent_root=props.get("mbom:checkpoint:parent"),
                is_file="mbom:checkpoint:sha256" in props,
                properties=tuple(
                    Prop(name, value)
                    for name, value in props.items()
                    if name not in known and not name.startswith("mbom:metric:")
                ),
            )
        )
    return steps
