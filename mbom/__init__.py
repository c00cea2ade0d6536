"""mbom: Model Bill of Materials toolkit.

Capture what a machine-learning model is made of (files, datasets, configs, environment,
lineage) into a CycloneDX ML-BOM, sign it as an in-toto attestation, and verify a deployed
model against it.

This module stays import-light on purpose: ``mbom --version`` and ``mbom --help`` must start
fast, so nothing heavy (cyclonedx, sigstore, huggingface_hub, torch) is imported here.
"""

__version__ = "0.1.0"
