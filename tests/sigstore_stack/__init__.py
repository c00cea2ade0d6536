"""A local, offline Sigstore-compatible stack (CA, Fulcio, Rekor v1, trust root) for tests.

Test support code only: it exists so keyless signing can be exercised end to end without the
internet. Nothing in the product imports it. Typical use, via the session fixture::

    def test_keyless(sigstore_stack):
        config = ClientTrustConfig.from_json(sigstore_stack.trust_config_path.read_text())
        token = IdentityToken(sigstore_stack.mint_token(identity="signer@example.test"))
        with SigningContext.from_trust_config(config).signer(token) as signer:
            bundle = signer.sign_artifact(b"data")

or on the command line: `sigstore --trust-config <trust_config_path> verify identity ...`.
"""

from tests.sigstore_stack.stack import SigstoreStack, TrustMaterial, running_stack
from tests.sigstore_stack.tokens import DEFAULT_EMAIL, DEFAULT_ISSUER, GITHUB_ACTIONS_ISSUER

__all__ = [
    "DEFAULT_EMAIL",
    "DEFAULT_ISSUER",
    "GITHUB_ACTIONS_ISSUER",
    "SigstoreStack",
    "TrustMaterial",
    "running_stack",
]
