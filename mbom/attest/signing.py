"""Sign a BOM (or any in-toto statement) with keys or with Sigstore keyless.

Usage::

    from mbom.attest.keys import load_signing_key
    from mbom.attest.keyless import Keyless
    from mbom.attest.signing import sign_bom

    bundle = sign_bom(bom, keys=[load_signing_key("release.pem", passphrase)])
    bundle = sign_bom(bom, keyless=Keyless(identity_token=token))
    bundles = sign_bom_each(bom, keys=[key_a, key_b])        # two signers: two bundles

The result is a Sigstore bundle v0.3 (a dict; write it with
:func:`mbom.attest.bundles.write_bundle`) whose DSSE envelope carries the canonical statement
and exactly one signature: the bundle spec allows one, so several signers make one bundle
each (``mbom verify`` counts signers across bundles for ``minSigners``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mbom.attest.keyless import Keyless
from mbom.attest.keys import SigningKey
from mbom.attest.statement import PAYLOAD_TYPE, Statement, bom_statement
from mbom.errors import InputError


def sign_bom(
    bom: Mapping[str, Any],
    *,
    keys: Sequence[SigningKey] = (),
    keyless: Keyless | None = None,
) -> dict[str, Any]:
    """Attest ``bom`` (subjects = its model files) and sign it; returns the bundle."""
    return sign_statement(bom_statement(bom), keys=keys, keyless=keyless)


def sign_bom_each(bom: Mapping[str, Any], *, keys: Sequence[SigningKey]) -> list[dict[str, Any]]:
    """One bundle per key, all over the same statement (in the order of ``keys``)."""
    hints = [key.hint for key in keys]
    if not keys:
        raise InputError("give at least one key")
    if len(set(hints)) != len(hints):
        raise InputError("the same key was given twice; each signer must be a distinct key")
    statement = bom_statement(bom)
    return [sign_statement(statement, keys=[key]) for key in keys]


def sign_statement(
    statement: Statement,
    *,
    keys: Sequence[SigningKey] = (),
    keyless: Keyless | None = None,
    hint: str | None = None,
) -> dict[str, Any]:
    """Sign ``statement`` with one key (``keys`` holds exactly one), or keyless.

    ``hint`` overrides the key bundle's ``publicKey.hint`` (OMS signatures use
    model_signing's spelling).
    """
    if bool(keys) == (keyless is not None):
        raise InputError("sign with either one or more keys or Sigstore keyless, not both")
    payload = statement.to_json()
    if keyless is not None:
        return keyless.sign_statement(payload)
    if len(keys) > 1:
        raise InputError(
            "a Sigstore bundle holds one signature: sign with each key separately "
            "(mbom.attest.signing.sign_bom_each)"
        )
    from mbom.attest._internal.keybundle import key_bundle

    return key_bundle(payload, PAYLOAD_TYPE, keys[0], hint=hint)
