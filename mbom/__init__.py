"""mbom: Model Bill of Materials toolkit.

Capture what a machine-learning model is made of (files, datasets, configs, environment,
lineage) into a CycloneDX ML-BOM, sign it as an in-toto attestation, and verify a deployed
model against it.

This module stays import-light on purpose: ``mbom --version`` and ``mbom --help`` must start
fast, so nothing heavy (cyclonedx, sigstore, huggingface_hub, torch) is imported here.
"""

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """``mbom.record``: the training recorder (:mod:`mbom.recorder`), loaded on first use.

    (The module is not named ``mbom.record``: importing it would bind that name on the
    package to the module, shadowing the function.)
    """
    if name == "record":
        from mbom.recorder import record

        globals()["record"] = record
        return record
    raise AttributeError(f"module 'mbom' has no attribute {name!r}")
