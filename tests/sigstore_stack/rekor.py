"""A Rekor v1-like transparency log: RFC 6962 tree, signed checkpoints, signed entry timestamps.

Responses are shaped as sigstore-python 4.5.1 parses them (`TransparencyLogEntry.
_from_v1_response`): `{uuid: {body, integratedTime, logID, logIndex, verification: {
inclusionProof: {logIndex, rootHash, treeSize, hashes, checkpoint}, signedEntryTimestamp}}}`.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from tests.sigstore_stack import merkle
from tests.sigstore_stack.canonical import canonical_json
from tests.sigstore_stack.checkpoint import sign_checkpoint
from tests.sigstore_stack.entries import canonical_body
from tests.sigstore_stack.keys import key_id, public_pem
from tests.sigstore_stack.server import HttpError, Request, Response, json_response

API = "/api/v1/log"
ENTRIES = f"{API}/entries"
MAX_ENTRIES = 100_000
LOG_NAME = "rekor.mbom.test"


@dataclass(frozen=True)
class _Entry:
    body: bytes
    integrated_time: int
    leaf: bytes


class TransparencyLog:
    """Append-only log state; every mutation and read of the tree holds `_lock`."""

    def __init__(
        self,
        key: ec.EllipticCurvePrivateKey,
        *,
        name: str = LOG_NAME,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.key = key
        self.name = name
        self.clock = clock  # integrated times; tests pin it to check validity windows exactly
        self.tree_id = secrets.randbits(62)
        self._entries: list[_Entry] = []
        self._by_leaf: dict[bytes, int] = {}
        self._lock = threading.Lock()

    @property
    def log_id(self) -> bytes:
        """SHA-256 of the log key's DER SPKI: the trusted root's `logId.keyId`."""
        return key_id(self.key.public_key())

    @property
    def origin(self) -> str:
        """Checkpoint origin line, `<name> - <tree id>` as Rekor writes it."""
        return f"{self.name} - {self.tree_id}"

    def _uuid(self, leaf: bytes) -> str:
        return f"{self.tree_id:016x}{leaf.hex()}"

    def _checkpoint(self, size: int, root: bytes) -> str:
        return sign_checkpoint(
            origin=self.origin,
            signer_name=self.name,
            size=size,
            root=root,
            key=self.key,
            log_id=self.log_id,
        )

    def _signed_entry_timestamp(self, index: int, entry: _Entry) -> str:
        payload = canonical_json(
            {
                "body": base64.b64encode(entry.body).decode(),
                "integratedTime": entry.integrated_time,
                "logID": self.log_id.hex(),
                "logIndex": index,
            }
        )
        return base64.b64encode(self.key.sign(payload, ec.ECDSA(hashes.SHA256()))).decode()

    def _render(self, index: int) -> dict[str, Any]:
        """One entry with a proof against the current tree (caller holds the lock)."""
        entry = self._entries[index]
        leaves = [e.leaf for e in self._entries]
        root = merkle.root_hash(leaves)
        return {
            self._uuid(entry.leaf): {
                "body": base64.b64encode(entry.body).decode(),
                "integratedTime": entry.integrated_time,
                "logID": self.log_id.hex(),
                "logIndex": index,
                "verification": {
                    "inclusionProof": {
                        "logIndex": index,
                        "rootHash": root.hex(),
                        "treeSize": len(leaves),
                        "hashes": [h.hex() for h in merkle.inclusion_proof(index, leaves)],
                        "checkpoint": self._checkpoint(len(leaves), root),
                    },
                    "signedEntryTimestamp": self._signed_entry_timestamp(index, entry),
                },
            }
        }

    def append(self, proposed: Any) -> dict[str, Any]:
        """Validate, integrate and return the new entry; a duplicate is a 409 as in Rekor."""
        body = canonical_body(proposed)
        leaf = merkle.leaf_hash(body)
        with self._lock:
            if leaf in self._by_leaf:
                raise HttpError(409, f"an equivalent entry already exists: {self._uuid(leaf)}")
            if len(self._entries) >= MAX_ENTRIES:
                raise HttpError(507, "test log is full")
            self._entries.append(_Entry(body, int(self.clock()), leaf))
            self._by_leaf[leaf] = len(self._entries) - 1
            return self._render(len(self._entries) - 1)

    def get_by_index(self, index: int) -> dict[str, Any]:
        """The entry at `index`, with a fresh proof."""
        with self._lock:
            if not 0 <= index < len(self._entries):
                raise HttpError(404, f"no entry at index {index}")
            return self._render(index)

    def get_by_uuid(self, uuid: str) -> dict[str, Any]:
        """The entry whose UUID (tree id + leaf hash, or bare leaf hash) is `uuid`."""
        try:
            leaf = bytes.fromhex(uuid[-64:])
        except ValueError as exc:
            raise HttpError(400, "malformed entry UUID") from exc
        with self._lock:
            if leaf not in self._by_leaf:
                raise HttpError(404, f"no entry {uuid}")
            return self._render(self._by_leaf[leaf])

    def info(self) -> dict[str, Any]:
        """`GET /api/v1/log`: size, root and signed tree head."""
        with self._lock:
            leaves = [e.leaf for e in self._entries]
        root = merkle.root_hash(leaves)
        return {
            "rootHash": root.hex(),
            "treeSize": len(leaves),
            "signedTreeHead": self._checkpoint(len(leaves), root),
            "treeID": str(self.tree_id),
            "inactiveShards": [],
        }

    def handle(self, request: Request) -> Response:
        """Route one Rekor v1 API request."""
        method, path = request.method, request.path.rstrip("/")
        if method == "POST" and path == ENTRIES:
            return json_response(201, self.append(request.json()))
        if method == "GET" and path == API:
            return json_response(200, self.info())
        if method == "GET" and path == f"{API}/publicKey":
            return Response(
                200, public_pem(self.key.public_key()).encode(), "application/x-pem-file"
            )
        if method == "GET" and path == ENTRIES and "logIndex" in request.query:
            try:
                index = int(request.query["logIndex"][0])
            except ValueError as exc:
                raise HttpError(400, "logIndex must be an integer") from exc
            return json_response(200, self.get_by_index(index))
        if method == "GET" and path.startswith(f"{ENTRIES}/"):
            return json_response(200, self.get_by_uuid(path.rsplit("/", 1)[1]))
        raise HttpError(404, f"no route for {request.method} {request.path}")
