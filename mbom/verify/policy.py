"""The policy file: whom to trust and which rules a model must meet (docs/policy.md).

Usage::

    from mbom.verify.policy import load_policy

    policy = load_policy("deploy-policy.yaml")      # validated against schemas/policy.schema.json
    policy.mode, policy.required_attestations, policy.rules, policy.identities

YAML or JSON, read with the strict loader (:mod:`mbom.load`: a key given twice, a YAML
alias bomb or nesting past the limits is refused). Paths inside (keys, trusted root, trust
config) are relative to the policy file. A malformed policy is an input error (exit 2): a
gate must not guess what was meant.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mbom.errors import InputError, MalformedFileError
from mbom.verify.trust import IdentityRule

ENFORCE, WARN_MODE = "enforce", "warn"
#: Short names for predicate types in ``requiredAttestations``.
ALIASES = {
    "mbom": "https://cyclonedx.org/bom",
    "cyclonedx": "https://cyclonedx.org/bom",
    "oms": "https://model_signing/signature/v1.0",
    "slsa-provenance": "https://slsa.dev/provenance/v1",
}
_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True, slots=True)
class Policy:
    """A loaded, validated policy."""

    source: str
    mode: str = ENFORCE
    keys: tuple[str, ...] = ()
    identities: tuple[IdentityRule, ...] = ()
    trusted_root: str | None = None
    trust_config: str | None = None
    certificate_chain: str | None = None
    artifact_signature: bool = False  # accept messageSignature bundles (single file only)
    required_attestations: tuple[str, ...] = ()
    rules: Mapping[str, Any] = field(default_factory=dict)
    #: predicate types whose attestations may list part of the model and still count for
    #: requiredAttestations and minSigners (never for verification itself)
    partial_attestations: tuple[str, ...] = ()


def parse_duration(text: str) -> int:
    """``90d`` -> seconds."""
    match = _DURATION.match(text)
    if match is None:
        raise InputError(f"duration {text!r}: expected a number and s, m, h, d or w")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read and validate a policy file."""
    from mbom.load import load_yaml, read_text
    from mbom.request_file import check_schema

    name = os.fspath(path)
    data = load_yaml(read_text(name), name)
    if not isinstance(data, Mapping):
        raise MalformedFileError(f"{name}: a policy is a mapping of keys", path=name)
    check_schema(data, "policy.schema.json", 7, name)
    base = Path(name).parent
    trust = data.get("trust") or {}

    def local(value: str | None) -> str | None:
        return None if value is None else os.fspath(base / value)

    identities = tuple(
        IdentityRule(
            identity=item.get("identity") or item["identityRegex"],
            issuer=item.get("issuer") or item["issuerRegex"],
            identity_regex="identityRegex" in item,
            issuer_regex="issuerRegex" in item,
        )
        for item in trust.get("identities") or ()
    )
    for rule in identities:
        rule.patterns()  # regular expressions must compile: an input error now, not later
    rules = dict(data.get("rules") or {})
    if "maxBomAge" in rules:
        parse_duration(rules["maxBomAge"])
    return Policy(
        source=name,
        mode=data.get("mode", ENFORCE),
        keys=tuple(local(k) or k for k in trust.get("publicKeys") or ()),
        identities=identities,
        trusted_root=local(trust.get("trustedRoot")),
        trust_config=local(trust.get("trustConfig")),
        certificate_chain=local(trust.get("certificateChain")),
        artifact_signature=trust.get("artifactSignature") is True,
        required_attestations=tuple(
            ALIASES.get(item, item) for item in data.get("requiredAttestations") or ()
        ),
        rules=rules,
        partial_attestations=tuple(
            ALIASES.get(item, item) for item in data.get("partialAttestations") or ()
        ),
    )
