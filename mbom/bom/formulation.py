"""The BOM's ``formulation``: how the model was made.

One workflow, ``training``: its inputs (datasets, configs), resources (the environment's
components), hyperparameters, the code commit, the machine, and one step per checkpoint
in chain order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mbom.bom._cdx import MODEL_REF, json_scalar_type, prop_list
from mbom.bom.ml_parts import Formula, Parameter, Prop, Step, Workflow

if TYPE_CHECKING:
    from mbom.bom.build import BomInputs

FORMULA_REF = "formula:training"
WORKFLOW_REF = "workflow:training"


def training_formula(
    inputs: BomInputs, input_refs: Sequence[str], resource_refs: Sequence[str]
) -> Formula:
    """The training workflow: hyperparameters, code commit, environment, checkpoint steps."""
    environment = inputs.environment
    parameters = []
    several = len(inputs.configs) > 1
    for config in inputs.configs:
        for key, value in (config.record.hyperparameters or {}).items():
            name = f"{config.digest.path}:{key}" if several else key
            encoded = value if isinstance(value, str) else json.dumps(value)
            parameters.append(Parameter(name, encoded, json_scalar_type(value)))
    for key, value in sorted(inputs.parameters.items()):
        encoded = value if isinstance(value, str) else json.dumps(value)
        parameters.append(Parameter(key, encoded, json_scalar_type(value)))
    workflow_props: list[Prop] = []
    formula_props: list[Prop] = []
    if environment is not None:
        git = environment.git
        if git is not None:
            workflow_props += prop_list(
                [
                    ("mbom:git:commit", git.commit),
                    ("mbom:git:branch", git.branch),
                    ("mbom:git:remote", git.remote_url),
                    (
                        "mbom:git:dirty",
                        "unknown" if git.dirty is None else str(git.dirty).lower(),
                    ),
                ]
            )
        formula_props += environment_properties(environment)
    steps = tuple(
        Step(
            name=f"checkpoint {checkpoint.step}"
            if checkpoint.step is not None
            else f"checkpoint {index}",
            properties=tuple(
                prop_list(
                    [
                        ("mbom:checkpoint:path", checkpoint.path),
                        ("mbom:checkpoint:step", checkpoint.step),
                        ("mbom:checkpoint:index", index),
                        (
                            "mbom:checkpoint:sha256"
                            if checkpoint.is_file
                            else "mbom:merkle-root:sha256",
                            checkpoint.merkle_root,
                        ),
                        ("mbom:checkpoint:parent", checkpoint.parent_root),
                        *(
                            (f"mbom:metric:{k}", json.dumps(v))
                            for k, v in sorted(checkpoint.metrics.items())
                        ),
                    ]
                )
            )
            + checkpoint.properties,
        )
        for index, checkpoint in enumerate(inputs.checkpoints)
    )
    workflow = Workflow(
        bom_ref=WORKFLOW_REF,
        uid=WORKFLOW_REF,
        name="training",
        description="The run that produced the model: its inputs, parameters and environment.",
        input_refs=tuple(input_refs),
        resource_refs=tuple(resource_refs),
        parameters=tuple(parameters),
        output_refs=(MODEL_REF,) if inputs.model else (),
        steps=steps,
        properties=tuple(workflow_props),
    )
    return Formula(
        bom_ref=FORMULA_REF,
        workflows=(workflow,),
        properties=tuple(formula_props),
    )


def environment_properties(environment: Any) -> list[Prop]:
    """The machine and interpreter the run used (its packages are components of their own)."""
    pairs: list[tuple[str, object]] = [
        ("mbom:env:python", f"{environment.python_implementation} {environment.python_version}"),
        ("mbom:env:recorded-from", environment.recorded_from or None),
        (
            "mbom:env:os",
            environment.os.pretty_name or f"{environment.os.system} {environment.os.release}",
        ),
        ("mbom:env:kernel", f"{environment.os.system} {environment.os.release}"),
        ("mbom:env:arch", environment.machine.architecture),
        ("mbom:env:cpu", environment.machine.cpu_model),
        ("mbom:env:cpus", environment.machine.logical_cpus),
    ]
    for index, gpu in enumerate(environment.gpus):
        pairs.append(
            (
                f"mbom:env:gpu:{index}",
                f"{gpu.name}; driver {gpu.driver_version}; {gpu.memory_total}",
            )
        )
    image = environment.container_image
    if image is not None:
        pairs.append(
            (
                "mbom:env:container-image",
                f"{image.name}@{image.digest}" if image.name else image.digest,
            )
        )
    return prop_list(pairs)
