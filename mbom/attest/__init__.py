"""Sign and verify attestations about a model: in-toto statements in DSSE, as Sigstore bundles.

Usage::

    from mbom import attest

    key = attest.load_signing_key("release.pem", passphrase="s3cret")
    bundle = attest.sign_bom(bom, keys=[key])                     # or keyless=attest.Keyless(...)
    attest.write_bundle(bundle, attest.default_bundle_path("bom.cdx.json"))

    result = attest.verify_bundle("bom.cdx.json.sigstore.json", keys=["release.pub"])
    result.statement.subjects, result.signers, result.checks

    attest.sign_model("model/", keys=[key])                      # OMS (model_signing) format
    attest.verify_model("model/", "model.sig", keys=["release.pub"])

Importing this package is cheap: names are loaded from their submodules on first use, so
sigstore and cryptography are imported only when signing or verifying actually happens.
Formats and decisions: docs/attestation.md, docs/keys.md, docs/keyless-ci.md.
"""

from __future__ import annotations

from mbom._lazy import lazy_exports

#: public name -> submodule of mbom.attest that defines it
_EXPORTS = {
    "KEY_TYPES": "keys",
    "PASSPHRASE_ENV": "keys",
    "PassphraseRequired": "keys",
    "SigningKey": "keys",
    "generate_key": "keys",
    "key_hint": "keys",
    "load_public_key": "keys",
    "load_signing_key": "keys",
    "write_key_pair": "keys",
    "Statement": "statement",
    "Subject": "statement",
    "bom_statement": "statement",
    "parse_statement": "statement",
    "Keyless": "keyless",
    "sign_bom": "signing",
    "sign_bom_each": "signing",
    "sign_statement": "signing",
    "default_bundle_path": "bundles",
    "read_bundle": "bundles",
    "write_bundle": "bundles",
    "SignerIdentity": "verification",
    "VerifiedBundle": "verification",
    "verify_bundle": "verification",
    "VerifiedModel": "oms",
    "sign_model": "oms",
    "verify_model": "oms",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
