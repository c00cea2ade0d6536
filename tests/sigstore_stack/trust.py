"""The trust documents sigstore-python reads: TrustedRoot, SigningConfig v0.2, ClientTrustConfig.

Shapes follow sigstore-python 4.5.1 (`sigstore.models`, `sigstore_models.trustroot.v1`):
trusted root media type `...trustedroot+json;version=0.1` (the only one its `TrustedRoot`
accepts) and signing config `...signingconfig.v0.2+json` (the only one `SigningConfig`
accepts). Listing a single `majorApiVersion: 1` tlog makes it pick the Rekor v1 client.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.sigstore_stack.ca import CertificateAuthority
from tests.sigstore_stack.keys import key_details, key_id, public_der

TRUSTED_ROOT_MEDIA_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
SIGNING_CONFIG_MEDIA_TYPE = "application/vnd.dev.sigstore.signingconfig.v0.2+json"
CLIENT_TRUST_CONFIG_MEDIA_TYPE = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"
OPERATOR = "mbom-test-stack"


@dataclass(frozen=True)
class ServiceUrls:
    """Where the stack's services listen; the CT log has no server, only a URL label."""

    fulcio: str
    rekor: str
    oidc: str
    ctlog: str = "http://127.0.0.1/ctlog"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _log_instance(url: str, key: ec.EllipticCurvePublicKey, start: dt.datetime) -> dict[str, Any]:
    return {
        "baseUrl": url,
        "hashAlgorithm": "SHA2_256",
        "publicKey": {
            "rawBytes": _b64(public_der(key)),
            "keyDetails": key_details(key),
            "validFor": {"start": _time(start)},
        },
        "logId": {"keyId": _b64(key_id(key))},
    }


def trusted_root(
    *,
    ca: CertificateAuthority,
    rekor_key: ec.EllipticCurvePublicKey,
    ct_key: ec.EllipticCurvePublicKey,
    urls: ServiceUrls,
) -> dict[str, Any]:
    """TrustedRoot JSON: the CA chain, the Rekor log key and the CT log key."""
    start = ca.valid_from
    return {
        "mediaType": TRUSTED_ROOT_MEDIA_TYPE,
        "tlogs": [_log_instance(urls.rekor, rekor_key, start)],
        "certificateAuthorities": [
            {
                "subject": {"organization": ca.organization, "commonName": ca.common_name},
                "uri": urls.fulcio,
                "certChain": {
                    "certificates": [
                        {"rawBytes": _b64(cert.public_bytes(serialization.Encoding.DER))}
                        for cert in ca.chain
                    ]
                },
                "validFor": {"start": _time(start)},
            }
        ],
        "ctlogs": [_log_instance(urls.ctlog, ct_key, start)],
        "timestampAuthorities": [],
    }


def _service(url: str, start: dt.datetime) -> dict[str, Any]:
    return {
        "url": url,
        "majorApiVersion": 1,
        "validFor": {"start": _time(start)},
        "operator": OPERATOR,
    }


def signing_config(*, urls: ServiceUrls, start: dt.datetime) -> dict[str, Any]:
    """SigningConfig v0.2 naming the local Fulcio, Rekor (v1 API) and OIDC; no TSA."""
    return {
        "mediaType": SIGNING_CONFIG_MEDIA_TYPE,
        "caUrls": [_service(urls.fulcio, start)],
        "oidcUrls": [_service(urls.oidc, start)],
        "rekorTlogUrls": [_service(urls.rekor, start)],
        "rekorTlogConfig": {"selector": "ANY"},
        "tsaUrls": [],
        "tsaConfig": {"selector": "ANY"},
    }


def client_trust_config(root: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """ClientTrustConfig JSON, what `sigstore --trust-config` and `from_json` load."""
    return {
        "mediaType": CLIENT_TRUST_CONFIG_MEDIA_TYPE,
        "trustedRoot": root,
        "signingConfig": config,
    }
