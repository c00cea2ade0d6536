"""``mbom sign`` (a BOM, as an in-toto attestation) and ``mbom sign-model`` (OMS signature).

Both sign with one or more ``--key`` PEM files or with Sigstore keyless (``--sigstore``), and
write a Sigstore bundle v0.3.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from mbom.cli._auditlog import log_option, record


def _signing_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--key",
            "keys",
            multiple=True,
            type=click.Path(path_type=str),
            help="PEM private key; repeat for several signatures (threshold signing).",
        ),
        click.option("--sigstore", is_flag=True, help="Sign keyless with Sigstore (OIDC)."),
        click.option(
            "--identity-token",
            metavar="TOKEN",
            help="OIDC identity token (default: ambient CI credentials).",
        ),
        click.option(
            "--trust-config",
            type=click.Path(path_type=str),
            help="Sigstore ClientTrustConfig JSON of a private instance.",
        ),
        click.option("--staging", is_flag=True, help="Use Sigstore's staging instance."),
        click.option("-o", "--output", type=click.Path(path_type=str), help="Bundle to write."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _signers(
    keys: tuple[str, ...],
    sigstore: bool,
    token: str | None,
    trust_config: str | None,
    staging: bool,
) -> dict[str, Any]:
    """Keyword arguments for the library: ``keys=[...]`` or ``keyless=Keyless(...)``."""
    if bool(keys) == sigstore:
        raise click.UsageError("give either --key PEM (one or more) or --sigstore")
    if not sigstore and (token or trust_config or staging):
        raise click.UsageError("--identity-token, --trust-config and --staging need --sigstore")
    if trust_config and staging:
        raise click.UsageError("--trust-config and --staging exclude each other")
    if sigstore:
        from mbom.attest.keyless import Keyless

        return {
            "keyless": Keyless(identity_token=token, trust_config=trust_config, staging=staging)
        }
    from mbom.cli._passphrase import load_key

    return {"keys": [load_key(path) for path in keys]}


def _describe(bundle: dict[str, Any]) -> str:
    material = bundle["verificationMaterial"]
    if "publicKey" in material:
        count = len(bundle["dsseEnvelope"]["signatures"])
        return (
            f"{count} key signature{'s' if count > 1 else ''}, hint {material['publicKey']['hint']}"
        )
    entries = material.get("tlogEntries") or [{}]
    return f"keyless, transparency log index {entries[0].get('logIndex', '?')}"


@click.command("sign")
@click.argument("bom", type=click.Path(path_type=str))
@_signing_options
@log_option
def sign_command(
    bom: str,
    keys: tuple[str, ...],
    sigstore: bool,
    identity_token: str | None,
    trust_config: str | None,
    staging: bool,
    output: str | None,
    log_file: str | None,
) -> None:
    """Sign BOM as an in-toto attestation (subjects: the model's files) in a Sigstore bundle.

    Default output: BOM + .sigstore.json.
    """
    from mbom.attest.bundles import default_bundle_path, write_bundle
    from mbom.attest.signing import sign_bom
    from mbom.bom.read import load_bom

    signers = _signers(keys, sigstore, identity_token, trust_config, staging)
    bundle = sign_bom(load_bom(bom), **signers)
    path = write_bundle(bundle, output or default_bundle_path(bom))
    record(log_file, "sign", path, bom=bom, signers=_describe(bundle))
    click.echo(f"signed {bom} -> {path} ({_describe(bundle)})")


@click.command("sign-model")
@click.argument("path", type=click.Path(path_type=str))
@_signing_options
@click.option(
    "--ignore",
    "ignore_paths",
    multiple=True,
    metavar="REL_PATH",
    help="Path relative to the model to leave out (besides .git* and the signature).",
)
def sign_model_command(
    path: str,
    keys: tuple[str, ...],
    sigstore: bool,
    identity_token: str | None,
    trust_config: str | None,
    staging: bool,
    output: str | None,
    ignore_paths: tuple[str, ...],
) -> None:
    """Sign the model at PATH in the OpenSSF Model Signing (model_signing) format.

    Default output: PATH + .sig, beside the model.
    """
    from mbom.attest.bundles import write_bundle
    from mbom.attest.oms import sign_model

    target = output or path.rstrip("/\\") + ".sig"
    signers = _signers(keys, sigstore, identity_token, trust_config, staging)
    bundle = sign_model(path, signature_path=target, ignore_paths=ignore_paths, **signers)
    write_bundle(bundle, target)
    click.echo(f"signed model {path} -> {target} ({_describe(bundle)})")
