"""The local WebSocket API: what API Gateway does for `/ws/events` and its `@connections` management API.

- A WebSocket at `/ws/events` runs the ws function for `$connect` (a non-2xx answer refuses the
  handshake with that status), `$default` for every message (its `body` is sent back, like a route
  response) and `$disconnect` when the socket closes, with API Gateway's WebSocket event shape.
- `POST /@connections/{id}` sends the request body to that socket, `GET` describes it, `DELETE` closes
  it; a connection that is not open answers 410 with `x-amzn-ErrorType: GoneException`, so boto3's
  `post_to_connection` raises `GoneException` exactly as on AWS and the fan-out code is unchanged.
  Only requests SigV4-signed with this run's AWS secret key are served (local/sigv4.py), which the
  exchange's own processes sign with; anything else is 403 `ForbiddenException`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from local import sigv4
from local.asgi import Receive, Scope, Send, read_body

Invoke = Callable[[str, dict[str, Any]], Awaitable[tuple[str, Any]]]

WS_PATH = "/ws/events"
CONNECTIONS_PREFIX = "/@connections/"
WS_AREA = "ws"
STAGE = "local"
ACCOUNT = "123456789012"
MAX_POST_BYTES = 128 * 1024  # API Gateway's WebSocket message size limit
logger = logging.getLogger(__name__)
INTERNAL_ERROR_FRAME = json.dumps({"type": "error", "code": "INTERNAL_ERROR", "message": "Internal server error"})


@dataclass
class Socket:
    """One open client connection: sends are serialised, as frames must not interleave."""

    id: str
    send: Send
    source_ip: str
    user_agent: str
    connected_at: float = field(default_factory=time.time)
    last_active_at: float = field(default_factory=time.time)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    open: bool = True

    async def deliver(self, text: str) -> bool:
        async with self.lock:
            if not self.open:
                return False
            try:
                await self.send({"type": "websocket.send", "text": text})
            except Exception:  # the client went away between our check and the send
                self.open = False
                return False
        return True

    async def close(self) -> None:
        async with self.lock:
            if self.open:
                self.open = False
                await self.send({"type": "websocket.close", "code": 1000})


class WebSocketHub:
    """The WebSocket side of the local gateway; `invoke(area, event)` runs a handler in a worker."""

    def __init__(self, invoke: Invoke, area: str = WS_AREA) -> None:
        self._invoke, self._area = invoke, area
        self._sockets: dict[str, Socket] = {}

    @property
    def open_connections(self) -> int:
        return len(self._sockets)

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An ASGI `websocket` scope: the handshake, then one `$default` invocation per message."""
        if (await receive())["type"] != "websocket.connect":
            return
        if scope["path"] != WS_PATH:
            await _refuse(send, 404, {"message": "Not Found"})
            return
        headers = _headers(scope)
        client = (scope.get("client") or ("127.0.0.1", 0))[0]
        socket = Socket(_connection_id(), send, client, headers.get("user-agent", ""))
        event = _event("$connect", "CONNECT", socket, scope, headers)
        event["queryStringParameters"] = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))) or None
        outcome, result = await self._invoke(self._area, event)
        status = int(result.get("statusCode", 200)) if outcome == "ok" else 500
        if not 200 <= status < 300:
            body = result.get("body") if outcome == "ok" else None
            passed = (result.get("headers") or {}) if outcome == "ok" else {}
            await _refuse(send, status, body or {"message": "Internal server error"}, passed)
            return
        await send({"type": "websocket.accept"})
        self._sockets[socket.id] = socket
        code = 1006
        try:
            code = await self._messages(socket, scope, receive, headers)
        finally:
            self._sockets.pop(socket.id, None)
            socket.open = False
            gone = _event("$disconnect", "DISCONNECT", socket, scope, headers)
            gone["requestContext"]["disconnectStatusCode"] = code
            await self._invoke(self._area, gone)

    async def _messages(self, socket: Socket, scope: Scope, receive: Receive, headers: dict[str, str]) -> int:
        """Run `$default` for each message, in order; returns the close code."""
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return int(message.get("code", 1005))
            if message["type"] != "websocket.receive":
                continue
            socket.last_active_at = time.time()
            event = _event("$default", "MESSAGE", socket, scope, headers)
            text = message.get("text")
            if text is None:  # a binary frame: API Gateway hands it over base64-encoded
                event["body"], event["isBase64Encoded"] = base64.b64encode(message.get("bytes") or b"").decode(), True
            else:
                event["body"] = text
            event["requestContext"]["messageId"] = secrets.token_urlsafe(8)
            outcome, result = await self._invoke(self._area, event)
            reply = result.get("body") if outcome == "ok" else INTERNAL_ERROR_FRAME
            if reply:
                await socket.deliver(str(reply))

    async def manage(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An HTTP request under `/@connections/`: POST (send), GET (describe) or DELETE (close)."""
        method, connection_id = scope["method"], _connection_id_of(scope)
        headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope.get("headers", [])]
        # Like AWS, only SigV4-signed requests, and (unlike "any signature") only signed with this stack's
        # own per-run key (local/sigv4.py): no other local process, nor a web page, can push a frame.
        if not any(k == "authorization" and v.startswith("AWS4-HMAC-SHA256 ") for k, v in headers):
            await _forbidden(send)
            return
        body = await read_body(receive, MAX_POST_BYTES)
        if body is None:
            await _respond(send, 413, {"message": "Payload too large"}, "PayloadTooLargeException")
            return
        raw_path = _raw_path(scope)
        query = scope.get("query_string", b"").decode("latin-1")
        why = sigv4.refusal(method, raw_path, query, headers, body, self.signing_credentials())
        if why is not None:
            logger.warning("Refused an @connections request: %s", why)  # once per interval (log_throttle)
            await _forbidden(send)
            return
        socket = self._sockets.get(connection_id)
        if method not in ("POST", "GET", "DELETE"):
            await _respond(send, 405, {"message": "Method not allowed"}, "MethodNotAllowedException")
        elif socket is None or not socket.open:
            await _respond(send, 410, {"message": None}, "GoneException")
        elif method == "GET":
            await _respond(send, 200, _describe(socket))
        elif method == "DELETE":
            await socket.close()
            await _respond(send, 204, None)
        elif await socket.deliver(body.decode("utf-8", errors="replace")):
            await _respond(send, 200, None)
        else:
            await _respond(send, 410, {"message": None}, "GoneException")

    def signing_credentials(self) -> sigv4.Credentials | None:
        """Whose signatures `manage` accepts: this process's AWS credentials, which its worker processes
        inherit and boto3 signs with (the local stack sets a random secret key per run)."""
        return sigv4.environment_credentials()


def _raw_path(scope: Scope) -> str:
    """The path as the client sent (and signed) it: still percent-encoded."""
    raw = scope.get("raw_path")
    return raw.decode("latin-1") if raw else quote(scope["path"], safe="/@")


def _connection_id_of(scope: Scope) -> str:
    """The id in `/@connections/{id}`, percent-decoded once (boto3 sends `=` as `%3D`)."""
    raw = _raw_path(scope)
    if raw.startswith(CONNECTIONS_PREFIX):
        return unquote(raw[len(CONNECTIONS_PREFIX) :])
    return str(scope["path"][len(CONNECTIONS_PREFIX) :])  # e.g. `/%40connections/`: the path is decoded already


async def _forbidden(send: Send) -> None:
    await _respond(send, 403, {"message": "Forbidden"}, "ForbiddenException")


def _connection_id() -> str:
    """API Gateway's connection ids are short opaque strings (e.g. `L0SM9cOFvHcCIhw=`)."""
    return secrets.token_urlsafe(12)


def _event(route: str, kind: str, socket: Socket, scope: Scope, headers: dict[str, str]) -> dict[str, Any]:
    now = time.time()
    event: dict[str, Any] = {
        "requestContext": {
            "routeKey": route,
            "eventType": kind,
            "messageDirection": "IN",
            "connectionId": socket.id,
            "connectedAt": int(socket.connected_at * 1000),
            "requestId": str(uuid.uuid4()),
            "extendedRequestId": str(uuid.uuid4()),
            "requestTime": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now * 1000),
            "stage": STAGE,
            "domainName": headers.get("host", "127.0.0.1"),
            "apiId": "local",
            "identity": {"sourceIp": socket.source_ip, "userAgent": socket.user_agent},
        },
        "isBase64Encoded": False,
    }
    if kind != "MESSAGE":
        event["headers"] = headers
        event["multiValueHeaders"] = {key: [value] for key, value in headers.items()}
    return event


def _describe(socket: Socket) -> dict[str, Any]:
    def iso(epoch: float) -> str:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    return {
        "connectedAt": iso(socket.connected_at),
        "lastActiveAt": iso(socket.last_active_at),
        "identity": {"sourceIp": socket.source_ip, "userAgent": socket.user_agent},
    }


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


async def _refuse(send: Send, status: int, body: Any, headers: dict[str, Any] | None = None) -> None:
    """Refuse a handshake with an HTTP answer (ASGI's websocket.http.response extension), with the headers
    the `$connect` handler gave (`Retry-After` of a 429, `X-Request-Id`)."""
    raw = body if isinstance(body, str) else json.dumps(body)
    extra = [
        (str(k).lower().encode("latin-1"), str(v).encode("latin-1"))
        for k, v in (headers or {}).items()
        if str(k).lower() != "content-type"
    ]
    await send(
        {
            "type": "websocket.http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *extra],
        }
    )
    await send({"type": "websocket.http.response.body", "body": raw.encode()})


async def _respond(send: Send, status: int, body: Any, error_type: str | None = None) -> None:
    headers = [(b"content-type", b"application/json")]
    if error_type is not None:
        headers.append((b"x-amzn-errortype", error_type.encode()))
    raw = b"" if body is None else json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})


_TOKEN = re.compile(r"([?&]token=)[^&\s\"']+")
# uvicorn logs this at ERROR after every refused handshake (its websocket.http.response path never marks
# the handshake complete): noise, since the hub always accepts or answers with an HTTP status.
_REFUSAL_NOISE = "ASGI callable returned without completing handshake."


class HandshakeLogFilter(logging.Filter):
    """uvicorn logs each WebSocket handshake with its query string: keep access tokens out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == _REFUSAL_NOISE:
            return False
        if isinstance(record.args, tuple):
            record.args = tuple(_TOKEN.sub(r"\1[redacted]", a) if isinstance(a, str) else a for a in record.args)
        record.msg = _TOKEN.sub(r"\1[redacted]", str(record.msg))
        return True
