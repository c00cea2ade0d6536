"""``mbom sign`` (a BOM, as an in-toto attestation) and ``mbom sign-model`` (OMS signature).

Both sign with ``--key`` PEM files or with Sigstore keyless (``--sigstore``) and write
Sigstore bundles v0.3, one signature each: ``mbom sign`` with several keys writes one bundle
per signer (``-o`` a directory or a pattern, see :func:`mbom.attest.bundles.bundle_paths`).
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
            metavar="PEM_FILE",
            help="PEM private key, e.g. release.pem from mbom keygen (repeatable: several "
            "signers write one bundle each).",
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
        click.option(
            "-o",
            "--output",
            type=click.Path(path_type=str),
            help="Bundle to write; with several keys a directory or a pattern "
            "({bom}, {n}, {keyid}).",
        ),
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
        return f"key signature, hint {material['publicKey']['hint']}"
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
    from mbom.attest.bundles import bundle_paths, write_bundles
    from mbom.attest.signing import sign_bom, sign_bom_each
    from mbom.bom.read import load_bom

    signers = _signers(keys, sigstore, identity_token, trust_config, staging)
    keyids = [key.hint for key in signers["keys"]] if "keys" in signers else [None]
    paths = bundle_paths(bom, output, keyids)  # a bad -o is reported before any signing
    document = load_bom(bom)
    if "keys" in signers:
        bundles = sign_bom_each(document, keys=signers["keys"])
    else:
        bundles = [sign_bom(document, **signers)]
    written = write_bundles(zip(paths, bundles))
    for path, bundle in zip(written, bundles):
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
    help="Path relative to the model to leave out, besides .git* and the signature (repeatable).",
)
@click.option(
    "--allow-non-oms-key",
    is_flag=True,
    help="Sign with an Ed25519 or RSA key, which OMS verifiers (model_signing) cannot check.",
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
    allow_non_oms_key: bool,
) -> None:
    """Sign the model at PATH in the OpenSSF Model Signing (model_signing) format.

    Default output: PATH + .sig, beside the model.
    """
    from mbom.attest.bundles import write_bundle
    from mbom.attest.oms import sign_model

    target = output or path.rstrip("/\\") + ".sig"
    signers = _signers(keys, sigstore, identity_token, trust_config, staging)
    bundle = sign_model(
        path,
        signature_path=target,
        ignore_paths=ignore_paths,
        allow_non_oms_key=allow_non_oms_key,
        **signers,
    )
    write_bundle(bundle, target)
    click.echo(f"signed model {path} -> {target} ({_describe(bundle)})")
