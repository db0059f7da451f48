"""The local gateway's WebSocket hub driven through ASGI messages: handshake, routes, `@connections`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from local import sigv4
from local.websocket import WebSocketHub


def signed(method: str, path: str, body: bytes) -> list[tuple[bytes, bytes]]:
    """Headers signed as the exchange's own processes sign (this process's AWS credentials)."""
    credentials = sigv4.environment_credentials()
    assert credentials is not None
    headers = sigv4.sign(method, f"http://127.0.0.1{path}", body, credentials)
    return [(k.lower().encode(), v.encode()) for k, v in headers.items()]


class FakeWorkers:
    """Stands in for the worker pool running the ws function: records every event it is given."""

    def __init__(self, connect_status: int = 200) -> None:
        self.events: list[dict[str, Any]] = []
        self.connect_status = connect_status

    async def __call__(self, area: str, event: dict[str, Any]) -> tuple[str, Any]:
        self.events.append(event)
        route = event["requestContext"]["routeKey"]
        if route == "$connect":
            return "ok", {"statusCode": self.connect_status, "body": '{"error": {"code": "UNAUTHORIZED"}}'}
        if route == "$default" and event.get("body") == "boom":
            return "error", "handler crashed"
        if route == "$default":
            return "ok", {"statusCode": 200, "body": json.dumps({"type": "echo", "body": event.get("body")})}
        return "ok", {"statusCode": 200}

    def routes(self) -> list[str]:
        return [e["requestContext"]["routeKey"] for e in self.events]


class Client:
    """One client socket: what it sends in, what the hub sent out."""

    def __init__(self, path: str = "/ws/events", query: bytes = b"token=t") -> None:
        self.scope = {"type": "websocket", "path": path, "query_string": query, "headers": [(b"host", b"x")]}
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sent: list[dict[str, Any]] = []
        self.inbox.put_nowait({"type": "websocket.connect"})

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    def texts(self) -> list[str]:
        return [m["text"] for m in self.sent if m["type"] == "websocket.send"]


async def http(hub: WebSocketHub, method: str, path: str, body: bytes = b"", headers: Any = None) -> tuple[int, Any]:
    sent: list[dict[str, Any]] = []
    request_headers = signed(method, path, body) if headers is None else headers
    scope = {"type": "http", "method": method, "path": path, "headers": request_headers}
    incoming = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await hub.manage(scope, receive, send)
    headers_out = dict(sent[0]["headers"])
    return sent[0]["status"], headers_out.get(b"x-amzn-errortype")


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(test(), 10))


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_a_connection_runs_connect_default_and_disconnect_with_api_gateways_event_shape():
    async def scenario() -> None:
        workers, client = FakeWorkers(), Client()
        hub = WebSocketHub(workers)
        serving = asyncio.create_task(hub.serve(client.scope, client.inbox.get, client.send))
        await client.inbox.put({"type": "websocket.receive", "text": '{"action": "ping"}'})
        await client.inbox.put({"type": "websocket.disconnect", "code": 1000})
        await serving
        assert workers.routes() == ["$connect", "$default", "$disconnect"]
        connect, message, gone = workers.events
        assert (
            connect["queryStringParameters"] == {"token": "t"} and connect["requestContext"]["eventType"] == "CONNECT"
        )
        ids = {e["requestContext"]["connectionId"] for e in workers.events}
        assert len(ids) == 1
        assert message["body"] == '{"action": "ping"}' and message["isBase64Encoded"] is False
        assert gone["requestContext"]["disconnectStatusCode"] == 1000
        assert client.sent[0] == {"type": "websocket.accept"}
        assert json.loads(client.texts()[0]) == {"type": "echo", "body": '{"action": "ping"}'}
        assert hub.open_connections == 0

    run(scenario)


def test_a_refused_connect_answers_the_handshake_with_its_status_and_runs_nothing_else():
    async def scenario() -> None:
        workers, client = FakeWorkers(connect_status=401), Client()
        await WebSocketHub(workers).serve(client.scope, client.inbox.get, client.send)
        assert client.sent[0]["type"] == "websocket.http.response.start" and client.sent[0]["status"] == 401
        assert workers.routes() == ["$connect"]

    run(scenario)


def test_another_path_is_not_found():
    async def scenario() -> None:
        workers, client = FakeWorkers(), Client(path="/ws/other")
        await WebSocketHub(workers).serve(client.scope, client.inbox.get, client.send)
        assert client.sent[0]["status"] == 404 and workers.events == []

    run(scenario)


def test_a_failing_handler_gets_an_internal_error_frame_and_the_socket_stays_open():
    async def scenario() -> None:
        workers, client = FakeWorkers(), Client()
        serving = asyncio.create_task(WebSocketHub(workers).serve(client.scope, client.inbox.get, client.send))
        for body in ("boom", "after"):
            await client.inbox.put({"type": "websocket.receive", "text": body})
        await client.inbox.put({"type": "websocket.disconnect", "code": 1000})
        await serving
        first, second = (json.loads(t) for t in client.texts())
        assert (first["type"], first["code"]) == ("error", "INTERNAL_ERROR")
        assert second == {"type": "echo", "body": "after"}

    run(scenario)


def test_connections_api_posts_describes_and_closes_then_answers_gone():
    async def scenario() -> None:
        workers, client = FakeWorkers(), Client()
        hub = WebSocketHub(workers)
        serving = asyncio.create_task(hub.serve(client.scope, client.inbox.get, client.send))
        await settle()
        (connection_id,) = hub._sockets
        path = f"/@connections/{connection_id}"
        assert await http(hub, "POST", path, b'{"type": "pushed"}') == (200, None)
        assert client.texts() == ['{"type": "pushed"}']
        assert (await http(hub, "GET", path))[0] == 200
        assert await http(hub, "POST", path, headers=[]) == (403, b"ForbiddenException")  # unsigned
        assert await http(hub, "DELETE", path) == (204, None)
        assert client.sent[-1] == {"type": "websocket.close", "code": 1000}
        assert await http(hub, "POST", path, b"{}") == (410, b"GoneException")
        await client.inbox.put({"type": "websocket.disconnect", "code": 1000})
        await serving
        assert await http(hub, "POST", "/@connections/never-existed", b"{}") == (410, b"GoneException")

    run(scenario)
