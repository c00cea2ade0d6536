"""A small JSON HTTP service host on 127.0.0.1, one ThreadingHTTPServer per service.

Bounded on purpose: loopback only, an ephemeral port, a request-size cap, a socket timeout,
HTTP/1.0 (one request per connection, so shutdown never waits on idle keep-alives).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_BODY_BYTES = 16 * 1024 * 1024
SOCKET_TIMEOUT_S = 10.0
LOOPBACK = "127.0.0.1"

_logger = logging.getLogger(__name__)


class HttpError(Exception):
    """Raised by a service to answer with a JSON error body `{"code", "message"}`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Request:
    """What a service sees of one HTTP request."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes

    def json(self) -> Any:
        """The body as JSON, or a 400."""
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise HttpError(400, f"request body is not JSON: {exc}") from exc


@dataclass(frozen=True)
class Response:
    """What a service answers."""

    status: int
    body: bytes
    content_type: str = "application/json"


def json_response(status: int, value: Any) -> Response:
    """A JSON response."""
    return Response(status, json.dumps(value).encode())


Handler = Callable[[Request], Response]


def _make_handler_class(handle: Handler) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        timeout = SOCKET_TIMEOUT_S

        def _dispatch(self) -> None:
            try:
                response = handle(self._read_request())
            except HttpError as exc:
                response = json_response(exc.status, {"code": exc.status, "message": exc.message})
            except Exception as exc:  # a bug in the stack must not hang the client
                _logger.exception("sigstore_stack: unhandled error")
                response = json_response(500, {"code": 500, "message": repr(exc)})
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)

        def _read_request(self) -> Request:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                raise HttpError(413, f"request body over {MAX_BODY_BYTES} bytes")
            body = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            return Request(self.command, url.path, parse_qs(url.query), self.headers, body)

        do_GET = _dispatch
        do_POST = _dispatch

        def log_message(self, format: str, *args: Any) -> None:
            _logger.debug("sigstore_stack %s: " + format, self.address_string(), *args)

    return _Handler


class ServiceServer:
    """One service on its own loopback port, served from a background thread.

    The socket is bound at construction so the URL is known before the service object that
    needs it (discovery documents, trust configs) is built; `start` then attaches the handler.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._handle: Handler | None = None
        self._server = ThreadingHTTPServer((LOOPBACK, 0), _make_handler_class(self._dispatch))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"sigstore-stack-{name}", daemon=True
        )

    def _dispatch(self, request: Request) -> Response:
        if self._handle is None:
            raise HttpError(503, f"{self.name} is not started")
        return self._handle(request)

    @property
    def url(self) -> str:
        """Base URL (scheme, host, port), without a trailing slash."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, handle: Handler) -> None:
        """Begin serving `handle` in the background."""
        self._handle = handle
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, close the socket and join the serving thread."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=SOCKET_TIMEOUT_S)
        self._server.server_close()
