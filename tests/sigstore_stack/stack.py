"""Assemble and run the whole local stack: trust material, three services, trust documents."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.sigstore_stack.ca import CertificateAuthority
from tests.sigstore_stack.fulcio import Fulcio
from tests.sigstore_stack.keys import new_p256_key
from tests.sigstore_stack.oidc import OidcDiscovery
from tests.sigstore_stack.rekor import TransparencyLog
from tests.sigstore_stack.sct import CTLog
from tests.sigstore_stack.server import ServiceServer
from tests.sigstore_stack.tokens import DEFAULT_EMAIL, DEFAULT_ISSUER, TokenIssuer
from tests.sigstore_stack.trust import (
    ServiceUrls,
    client_trust_config,
    signing_config,
    trusted_root,
)

TRUSTED_ROOT_FILE = "trusted_root.json"
SIGNING_CONFIG_FILE = "signing_config.json"
TRUST_CONFIG_FILE = "trust_config.json"


def _write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class TrustMaterial:
    """Every private key of one Sigstore instance; a second instance is an unrelated trust root."""

    ca: CertificateAuthority
    ct_log: CTLog
    rekor_key: ec.EllipticCurvePrivateKey
    token_issuer: TokenIssuer

    @classmethod
    def generate(cls) -> TrustMaterial:
        """Fresh CA, CT log key, Rekor key and OIDC key."""
        return cls(
            CertificateAuthority.generate(), CTLog(new_p256_key()), new_p256_key(), TokenIssuer()
        )

    def trusted_root(self, urls: ServiceUrls) -> dict[str, Any]:
        """TrustedRoot JSON for this material served at `urls`."""
        return trusted_root(
            ca=self.ca,
            rekor_key=self.rekor_key.public_key(),
            ct_key=self.ct_log.key.public_key(),
            urls=urls,
        )

    def write_trusted_root(self, path: Path, urls: ServiceUrls) -> Path:
        """Write the TrustedRoot JSON to `path`."""
        return _write_json(path, self.trusted_root(urls))


@dataclass(frozen=True)
class SigstoreStack:
    """A running local Sigstore: where it listens, its trust documents, and a token minter."""

    directory: Path
    trust_config_path: Path
    trusted_root_path: Path
    signing_config_path: Path
    urls: ServiceUrls
    material: TrustMaterial
    log: TransparencyLog

    @property
    def fulcio_url(self) -> str:
        """Base URL of the Fulcio-like CA."""
        return self.urls.fulcio

    @property
    def rekor_url(self) -> str:
        """Base URL of the Rekor-like log (v1 API under /api/v1)."""
        return self.urls.rekor

    @property
    def oidc_url(self) -> str:
        """Base URL of the OIDC discovery service (token issuer key's JWKS)."""
        return self.urls.oidc

    @property
    def ca_chain_pem(self) -> str:
        """Intermediate then root, PEM, for tools that take a certificate chain file."""
        return "".join(
            cert.public_bytes(serialization.Encoding.PEM).decode()
            for cert in self.material.ca.chain
        )

    def mint_token(
        self, identity: str = DEFAULT_EMAIL, issuer: str = DEFAULT_ISSUER, **kwargs: Any
    ) -> str:
        """An identity token the local Fulcio accepts (see `TokenIssuer.mint` for kwargs)."""
        return self.material.token_issuer.mint(identity, issuer, **kwargs)

    def write_foreign_trusted_root(self, path: Path) -> Path:
        """A trusted root for the same URLs but unrelated keys: nothing from this stack verifies."""
        return TrustMaterial.generate().write_trusted_root(path, self.urls)


@contextmanager
def running_stack(directory: Path) -> Iterator[SigstoreStack]:
    """Start Fulcio, Rekor and OIDC discovery on loopback, write trust files to `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    with ExitStack() as cleanup:
        servers: dict[str, ServiceServer] = {}
        for name in ("fulcio", "rekor", "oidc"):
            servers[name] = ServiceServer(name)
            cleanup.callback(servers[name].stop)
        urls = ServiceUrls(
            fulcio=servers["fulcio"].url, rekor=servers["rekor"].url, oidc=servers["oidc"].url
        )
        material = TrustMaterial.generate()
        log = TransparencyLog(material.rekor_key)
        root = material.trusted_root(urls)
        config = signing_config(urls=urls, start=material.ca.valid_from)
        stack = SigstoreStack(
            directory=directory,
            trust_config_path=_write_json(
                directory / TRUST_CONFIG_FILE, client_trust_config(root, config)
            ),
            trusted_root_path=_write_json(directory / TRUSTED_ROOT_FILE, root),
            signing_config_path=_write_json(directory / SIGNING_CONFIG_FILE, config),
            urls=urls,
            material=material,
            log=log,
        )
        servers["fulcio"].start(Fulcio(material.ca, material.ct_log, material.token_issuer).handle)
        servers["rekor"].start(log.handle)
        servers["oidc"].start(OidcDiscovery(material.token_issuer, urls.oidc).handle)
        yield stack
