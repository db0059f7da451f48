"""moto's HTTP server, with keep-alive connections.

moto's `ThreadedMotoServer` is werkzeug's development server, which answers every request with
`Connection: close`: each of our DynamoDB calls paid a new TCP connection on both sides and a new
server thread, and left a socket in TIME_WAIT (thousands a second under load). Profiled under load
(py-spy on the gateway process) thread start-up and connection handling were a visible share of the
process's CPU. Werkzeug closes because http.server cannot find the next request line when an
application leaves part of a body unread; here every request body is read in full before the
application runs (`Content-Length` bodies only; anything else still closes), so the connection can
carry the next request. What moto does with a request is unchanged.
"""

from __future__ import annotations

import io
import socket
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

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


class KeepAliveMotoServer(ThreadedMotoServer):
    """`ThreadedMotoServer` serving with `KeepAliveRequestHandler` (moto 5.2.5's `_server_entry`)."""

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=KeepAliveRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()
