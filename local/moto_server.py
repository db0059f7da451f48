"""moto's HTTP server, with keep-alive connections.

moto's `ThreadedMotoServer` is werkzeug's development server, which answers every request with
`Connection: close`: each of our DynamoDB calls paid a new TCP connection on both sides and a new
server thread, and left a socket in TIME_WAIT (thousands a second under load). Profiled under load
(py-spy on the gateway process) thread start-up and connection handling were a visible share of the
process's CPU. Werkzeug closes because http.server cannot find the next request line when an
application leaves part of a body unread; here every request body is read in full before the
application runs (`Content-Length` bodies only; anything else still closes), so the connection can
carry the next request. What moto does with a request is unchanged.

It answers this machine only: it listens on a loopback address (anything else is refused), and
`LocalClientsOnly` keeps web pages out. moto's Flask apps enable flask-cors for every origin (any
`Origin` was echoed in `Access-Control-Allow-Origin`), so any page open in a browser could read and
write the local DynamoDB; here no response carries an `Access-Control-*` header, a request a browser
makes for another site's page (`Origin` not this server, `Sec-Fetch-Site: cross-site`) is refused 403
before moto sees it, and so is a `Host` that is not a loopback name (DNS rebinding). boto3 sends none
of these headers.
"""

from __future__ import annotations

import io
import ipaddress
import json
import socket
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
IDLE_TIMEOUT_S = 120  # an idle kept-alive connection is closed after this (botocore reconnects)


class _RequestStream:
    """The connection's input stream: once a request's body has been read in full, werkzeug's
    after-response "drain" (`read`) gets nothing, so it cannot swallow the next request on the
    connection; reading the next request line (`readline`) re-arms it."""

    def __init__(self, raw: Any) -> None:
        self._raw, self.body_read = raw, False

    def read(self, size: int = -1) -> bytes:
        return b"" if self.body_read else bytes(self._raw.read(size))

    def readline(self, size: int = -1) -> bytes:
        self.body_read = False
        return bytes(self._raw.readline(size))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class KeepAliveRequestHandler(MotoRequestHandler):
    timeout = IDLE_TIMEOUT_S

    def setup(self) -> None:
        super().setup()
        self.rfile = _RequestStream(self.rfile)  # type: ignore[assignment]
        # Headers and body go out in separate writes: without this, Nagle's algorithm holds the body
        # until the client's delayed ACK of the headers (40 ms) on a kept-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        stream: Any = self.rfile
        length = self.headers.get("Content-Length", "")
        self._keep_alive = (
            isinstance(stream, _RequestStream)
            and "Transfer-Encoding" not in self.headers
            and self.request_version == "HTTP/1.1"
            and self.headers.get("Connection", "").lower() != "close"
            and (length == "" or length.isdigit())
        )
        if self._keep_alive:
            environ["wsgi.input"] = io.BytesIO(stream.read(int(length)) if length else b"")
            stream.body_read = True
        return environ

    def send_header(self, keyword: str, value: str) -> None:
        if keyword.lower() == "connection" and value.lower() == "close" and getattr(self, "_keep_alive", False):
            return  # werkzeug's blanket close: the body was read in full, so the connection can go on
        super().send_header(keyword, value)


StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class LocalClientsOnly:
    """WSGI middleware: no CORS, no cross-site browser requests, no foreign Host (see the module doc)."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        why = refusal(environ)
        if why is not None:
            body = json.dumps({"__type": "AccessDeniedException", "message": why}).encode()
            start_response("403 Forbidden", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]

        def without_cors(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
            return start_response(status, kept, *exc_info)

        return self._app(environ, without_cors)


def refusal(environ: dict[str, Any]) -> str | None:
    """Why moto must not answer this request, or None."""
    host = str(environ.get("HTTP_HOST", ""))
    if host and _hostname(host) not in LOOPBACK_NAMES:
        return "the local AWS emulator answers loopback names only (Host)"
    origin = str(environ.get("HTTP_ORIGIN", ""))
    site = str(environ.get("HTTP_SEC_FETCH_SITE", ""))
    # A browser sends Origin with a cross-origin request (and with a same-origin POST: moto's own /moto-api
    # page); Sec-Fetch-Site with every request (`none` for one typed in the address bar).
    if (origin and origin != f"http://{host}") or site in ("cross-site", "same-site"):
        return "the local AWS emulator does not answer other sites' web pages"
    return None


def _hostname(host: str) -> str:
    if host.startswith("["):  # [::1]:port
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class KeepAliveMotoServer(ThreadedMotoServer):
    """`ThreadedMotoServer` serving with `KeepAliveRequestHandler` (moto 5.2.5's `_server_entry`), on a
    loopback address only, behind `LocalClientsOnly`."""

    def __init__(self, ip_address: str, port: int, verbose: bool = False) -> None:
        if not ipaddress.ip_address(ip_address).is_loopback:
            raise ValueError(f"the local AWS emulator listens on a loopback address only, not {ip_address}")
        super().__init__(ip_address=ip_address, port=port, verbose=verbose)

    def _server_entry(self) -> None:
        app = LocalClientsOnly(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=KeepAliveRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()
