"""The local `@connections` API accepts only requests signed with this run's AWS secret key (local/sigv4.py):
requests are signed by boto3 itself (captured before they are sent) and driven through the hub over ASGI."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from local import sigv4, websocket
from local.websocket import WebSocketHub

CONNECTION = "L0SM9cOFvHcCIhw="  # API Gateway's ids end with "=": boto3 sends (and signs) "%3D"
KEY = sigv4.Credentials("testing", "per-run-secret-key-0123456789abcdef")
ENDPOINT = "http://127.0.0.1:8080"


class Captured:
    """What boto3 sent (method, URL, headers, body), answered with `status` and never sent anywhere."""

    def __init__(self) -> None:
        self.requests: list[Any] = []
        self.status = 200

    def __call__(self, request: Any, **kwargs: Any) -> AWSResponse:
        self.requests.append(request)
        return AWSResponse(request.url, self.status, {}, _RawBody())


class _RawBody:
    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield b""


def boto3_request(operation: str, secret: str = KEY.secret_key, **params: Any) -> Any:
    """The request boto3's apigatewaymanagementapi client sends for `operation`, signed with `secret`."""
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=KEY.access_key,
        aws_secret_access_key=secret,
    )
    captured = Captured()
    client.meta.events.register("before-send", captured)
    getattr(client, operation)(**params)
    return captured.requests[-1]


def scope_of(request: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """An ASGI scope as uvicorn builds it: `path` decoded, `raw_path` as sent."""
    parts = urlsplit(request.url)
    sent = {**{k: _text(v) for k, v in request.headers.items()}, "Host": parts.netloc, **(headers or {})}
    return {
        "type": "http",
        "method": request.method,
        "path": unquote(parts.path),
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in sent.items()],
    }


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode("latin-1")


def body_of(request: Any) -> bytes:
    body = request.body or b""
    return body if isinstance(body, bytes) else body.encode()


class Hub(WebSocketHub):
    def signing_credentials(self) -> sigv4.Credentials | None:
        return KEY


class FakeWorkers:
    async def __call__(self, area: str, event: dict[str, Any]) -> tuple[str, Any]:
        return "ok", {"statusCode": 200}


async def call(hub: WebSocketHub, scope: dict[str, Any], body: bytes) -> tuple[int, bytes | None]:
    sent: list[dict[str, Any]] = []
    incoming = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await hub.manage(scope, receive, send)
    return sent[0]["status"], dict(sent[0]["headers"]).get(b"x-amzn-errortype")


class Victim:
    """One open WebSocket on the hub; its id ends with `=` as API Gateway's do (boto3 sends `%3D`)."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.inbox.put_nowait({"type": "websocket.connect"})

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    def texts(self) -> list[str]:
        return [m["text"] for m in self.sent if m["type"] == "websocket.send"]


@pytest.fixture(autouse=True)
def api_gateway_like_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(websocket, "_connection_id", lambda: CONNECTION)


def with_victim(test: Any) -> None:
    async def scenario() -> None:
        hub, victim = Hub(FakeWorkers()), Victim()
        scope = {"type": "websocket", "path": "/ws/events", "query_string": b"token=t", "headers": [(b"host", b"x")]}
        serving = asyncio.create_task(hub.serve(scope, victim.inbox.get, victim.send))
        for _ in range(5):
            await asyncio.sleep(0)
        assert list(hub._sockets) == [CONNECTION]
        await test(hub, victim)
        await victim.inbox.put({"type": "websocket.disconnect", "code": 1000})
        await serving

    asyncio.run(asyncio.wait_for(scenario(), 10))


def test_a_frame_posted_by_boto3_with_the_runs_key_reaches_the_socket():
    async def test(hub: WebSocketHub, victim: Victim) -> None:
        request = boto3_request("post_to_connection", ConnectionId=CONNECTION, Data=b'{"type": "pushed"}')
        assert "%3D" in request.url  # the id as boto3 encodes (and signs) it
        assert await call(hub, scope_of(request), body_of(request)) == (200, None)
        assert victim.texts() == ['{"type": "pushed"}']
        described = boto3_request("get_connection", ConnectionId=CONNECTION)
        assert (await call(hub, scope_of(described), b""))[0] == 200

    with_victim(test)


@pytest.mark.parametrize(
    "forgery",
    [
        "any AWS4 Authorization",  # what the hub accepted before: `AWS4-HMAC-SHA256 x`
        "the well-known key",  # boto3 with the emulator's old dummy secret "testing"
        "another body",  # a captured signature replayed with a frame of the attacker's
        "another connection",  # ... or to another connection
        "stale",  # a captured request replayed 10 minutes later
        "unsigned date",  # the X-Amz-Date changed after signing
    ],
)
def test_a_forged_or_replayed_post_is_refused_403_and_pushes_nothing(forgery: str):
    async def test(hub: WebSocketHub, victim: Victim) -> None:
        frame = b'{"type": "auction.closed", "data": {"outcome": "won"}}'
        request = boto3_request("post_to_connection", ConnectionId=CONNECTION, Data=b'{"type": "real"}')
        scope, body = scope_of(request), body_of(request)
        if forgery == "any AWS4 Authorization":
            scope = scope_of(request, {"Authorization": "AWS4-HMAC-SHA256 x"})
            body = frame
        elif forgery == "the well-known key":
            request = boto3_request("post_to_connection", "testing", ConnectionId=CONNECTION, Data=frame)
            scope, body = scope_of(request), body_of(request)
        elif forgery == "another body":
            body = frame
        elif forgery == "another connection":  # a request for the attacker's own connection, redirected
            own = boto3_request("post_to_connection", ConnectionId="attacker=", Data=frame)
            scope = {**scope_of(own), "path": scope["path"], "raw_path": scope["raw_path"]}
            body = frame
        elif forgery == "stale":
            then = time.time() - 600
            scope = scope_of(request, sigv4.sign("POST", request.url, body, KEY, now=then))
        elif forgery == "unsigned date":
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() + 1))
            scope = scope_of(request, {"X-Amz-Date": stamp})
        assert await call(hub, scope, body) == (403, b"ForbiddenException")
        assert victim.texts() == []

    with_victim(test)


def test_the_signature_check_recomputes_what_boto3_signed_and_names_why_not():
    request = boto3_request("delete_connection", ConnectionId=CONNECTION)
    scope = scope_of(request)
    headers = [(k.decode(), v.decode()) for k, v in scope["headers"]]
    path = scope["raw_path"].decode()
    assert sigv4.refusal("DELETE", path, "", headers, b"", KEY) is None
    assert sigv4.refusal("POST", path, "", headers, b"", KEY) == "signature mismatch"  # the method is signed
    assert sigv4.refusal("DELETE", path, "", headers, b"", sigv4.Credentials("testing", "x")) == "signature mismatch"
    assert sigv4.refusal("DELETE", path, "", headers, b"", sigv4.Credentials("other", "x")) == "unknown access key"
    assert sigv4.refusal("DELETE", path, "", headers, b"", None) is not None
    later = time.time() + sigv4.MAX_SKEW_S + 5
    assert "stale" in (sigv4.refusal("DELETE", path, "", headers, b"", KEY, now=later) or "")
    no_date = [(k, v) for k, v in headers if k.lower() != "x-amz-date"]
    assert sigv4.refusal("DELETE", path, "", no_date, b"", KEY) == "no valid X-Amz-Date header"


def test_the_signing_helper_produces_what_the_check_accepts():
    headers = sigv4.sign("POST", f"{ENDPOINT}/@connections/abc%3D", b"{}", KEY)
    pairs = [(k.lower(), v) for k, v in headers.items()]
    assert sigv4.refusal("POST", "/@connections/abc%3D", "", pairs, b"{}", KEY) is None
    assert sigv4.refusal("POST", "/@connections/abc%3D", "", pairs, b"{}!", KEY) == "signature mismatch"


def test_the_hub_checks_against_this_processs_aws_credentials(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", KEY.secret_key)
    assert WebSocketHub(FakeWorkers()).signing_credentials() == KEY
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert WebSocketHub(FakeWorkers()).signing_credentials() is None  # then nothing is accepted
