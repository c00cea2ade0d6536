"""The trust flags shared by ``mbom verify``, ``mbom lineage`` and ``mbom audit``.

Usage::

    @click.command()
    @trust_options
    def command(keys, identity, identity_regex, issuer, issuer_regex, trusted_root,
                trust_config, certificate_chain, artifact_signature): ...
        identities = identity_rules(identity, identity_regex, issuer, issuer_regex)

Trust itself is loaded by the library (:func:`mbom.verify.trust.load_trust`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS = (
    click.option(
        "--key",
        "keys",
        multiple=True,
        metavar="PUB_FILE",
        help="Trusted public key PEM, e.g. release.pub from mbom keygen (repeatable).",
    ),
    click.option(
        "--identity", metavar="IDENTITY", help="Trusted keyless certificate identity (exact)."
    ),
    click.option(
        "--identity-regex", metavar="REGEX", help="Trusted keyless identity, a full-match regex."
    ),
    click.option("--issuer", metavar="URL", help="Trusted OIDC issuer of the identity (exact)."),
    click.option("--issuer-regex", metavar="REGEX", help="Trusted OIDC issuer, full-match regex."),
    click.option("--trusted-root", metavar="FILE", help="Sigstore trusted_root.json."),
    click.option("--trust-config", metavar="FILE", help="Sigstore ClientTrustConfig JSON."),
    click.option(
        "--certificate-chain",
        metavar="PEM",
        help="CA certificates of a private PKI to trust (model_signing certificate mode).",
    ),
    click.option(
        "--artifact-signature",
        is_flag=True,
        help="Also accept message-signature bundles (a signature over one file's digest).",
    ),
)


def trust_options(function: F) -> F:
    """Add --key, --identity[-regex], --issuer[-regex], --trusted-root, --trust-config,
    --certificate-chain, --artifact-signature."""
    for option in reversed(_OPTIONS):
        function = option(function)
    return function


def identity_rules(
    identity: str | None, identity_regex: str | None, issuer: str | None, issuer_regex: str | None
) -> tuple:
    """The keyless identity the flags name, as a tuple of ``IdentityRule`` (empty if none)."""
    from mbom.verify.trust import IdentityRule

    if (identity and identity_regex) or (issuer and issuer_regex):
        raise click.UsageError(
            "give --identity or --identity-regex (and --issuer or --issuer-regex), not both"
        )
    who, by = identity or identity_regex, issuer or issuer_regex
    if not who and not by:
        return ()
    if not who or not by:
        raise click.UsageError("keyless trust needs both an identity and an issuer")
    return (IdentityRule(who, by, identity_regex is not None, issuer_regex is not None),)


def trust_fields(flags: dict[str, Any]) -> dict[str, Any]:
    """The trust flags as ``VerifyRequest`` / ``load_trust`` keyword arguments."""
    return {
        "keys": flags["keys"],
        "identities": identity_rules(
            flags["identity"], flags["identity_regex"], flags["issuer"], flags["issuer_regex"]
        ),
        "trusted_root": flags["trusted_root"],
        "trust_config": flags["trust_config"],
        "certificate_chain": flags["certificate_chain"],
        "artifact_signature": flags["artifact_signature"],
    }


def verify_request(
    path: str,
    bundles: tuple[str, ...],
    trust_flags: dict[str, Any],
    *,
    policy: str | None,
    datasets: str | None,
    parents: tuple[str, ...],
    jobs: int | None,
    schema: bool = True,
    executor: object | None = None,
    bundles_optional: bool = False,
) -> Any:
    """The ``VerifyRequest`` that ``verify`` and ``audit`` build from the same flags
    (``bundles_optional``: an OCI artifact's bundles may be found in its registry)."""
    from mbom.verify.pipeline import VerifyRequest

    if not bundles and not bundles_optional:
        raise click.UsageError("give at least one --bundle")
    return VerifyRequest(
        path=path,
        bundles=bundles,
        **trust_fields(trust_flags),
        policy=policy,
        datasets=datasets,
        parents=parents,
        schema=schema,
        jobs=jobs,
        executor=executor,
    )
