"""Hugging Face Hub models for ``mbom generate --hf REPO[@REVISION]``.

Resolution goes through huggingface_hub (imported lazily): the local cache first, the network
only when allowed (``HF_HUB_OFFLINE=1`` keeps it offline).
"""

from __future__ import annotations

from mbom.errors import InputError


def resolve_model(reference: str) -> str:
    """Return a local directory holding the model named ``REPO[@REVISION]``."""
    raise InputError(
        f"--hf {reference}: Hugging Face Hub resolution is not available in this version; "
        "download the model and pass --model PATH"
    )
