"""The WebSocket routes ($connect, $default, $disconnect) with an in-memory connection store."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from dce.api.websocket import handle
from dce.domain.accounts import Role
from dce.domain.errors import Unauthorized
from dce.domain.principal import Principal
from dce.services.connections import ConnectionService
from tests.unit.events_support import T0, FixedClock, MemoryConnections

GOOD_TOKEN = "good-token"


TOKEN_EXPIRES_AT = T0 + timedelta(minutes=15)


def verify(token: str) -> tuple[Principal, datetime]:
    if token != GOOD_TOKEN:
        raise Unauthorized("Invalid token")
    return Principal("buyer-1", Role.BUYER), TOKEN_EXPIRES_AT


@pytest.fixture
def store() -> MemoryConnections:
    return MemoryConnections()


@pytest.fixture
def send(store: MemoryConnections) -> Any:
    connections = ConnectionService(store, verify, FixedClock())

    def send(route: str, body: Any = None, token: str | None = None, **extra: Any) -> dict[str, Any]:
        event: dict[str, Any] = {"requestContext": {"routeKey": route, "connectionId": "conn-1", "requestId": "r-1"}}
        if token is not None:
            event["queryStringParameters"] = {"token": token}
        if body is not None:
            event["body"] = body if isinstance(body, str) else json.dumps(body)
        return handle({**event, **extra}, connections)

    return send


def frame(response: dict[str, Any]) -> dict[str, Any]:
    assert response["statusCode"] == 200
    body: dict[str, Any] = json.loads(response["body"])
    return body


def test_connect_with_a_valid_token_registers_the_connection_for_its_account(send: Any, store: MemoryConnections):
    assert send("$connect", token=GOOD_TOKEN) == {"statusCode": 200}
    connection = store.items["conn-1"]
    assert (connection.account_id, connection.role, connection.topics) == ("buyer-1", Role.BUYER, ())
    assert connection.expires_at == TOKEN_EXPIRES_AT  # the token's expiry bounds the connection


@pytest.mark.parametrize("token", [None, "", "bad-token"])
def test_connect_without_a_valid_token_is_refused_with_401(send: Any, store: MemoryConnections, token: str | None):
    response = send("$connect", token=token)
    assert response["statusCode"] == 401
    error = json.loads(response["body"])["error"]
    assert error["code"] == "UNAUTHORIZED" and error["request_id"] == "r-1"
    assert response["headers"]["WWW-Authenticate"].startswith("Bearer")
    assert store.items == {}


def test_ping_is_answered_with_pong(send: Any):
    assert frame(send("$default", {"action": "ping"})) == {"type": "pong"}


def test_subscribe_stores_the_topics_and_confirms_them(send: Any, store: MemoryConnections):
    send("$connect", token=GOOD_TOKEN)
    reply = frame(send("$default", {"action": "subscribe", "topics": ["auction", "call.completed", "auction"]}))
    assert reply == {"type": "subscribed", "topics": ["auction", "call.completed"]}
    assert store.items["conn-1"].topics == ("auction", "call.completed")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "Invalid JSON"),
        ("", "Invalid JSON"),
        ('"ping"', "Unknown action"),
        ("[]", "Unknown action"),
        ({"action": "dance"}, "Unknown action"),
        ({"action": "<script>alert(1)</script>"}, "Unknown action"),
        ({"topics": ["call"]}, "Unknown action"),
        ({"action": "subscribe"}, "Invalid topics"),
        ({"action": "subscribe", "topics": []}, "Invalid topics"),
        ({"action": "subscribe", "topics": ["<b>payments</b>"]}, "Invalid topics"),
        ({"action": "subscribe", "topics": ["call"] * 21}, "Invalid topics"),
        ({"action": "subscribe", "topics": "auction"}, "Invalid topics"),
    ],
)
def test_bad_messages_get_an_error_frame_that_never_echoes_them(send: Any, body: Any, message: str):
    reply = frame(send("$default", body))
    assert reply["type"] == "error" and reply["code"] == "VALIDATION_ERROR"
    assert reply["message"].startswith(message)
    assert "script" not in reply["message"] and "payments" not in reply["message"] and "dance" not in reply["message"]


def test_binary_and_oversized_messages_get_an_error_frame(send: Any):
    binary = frame(send("$default", "AAEC", isBase64Encoded=True))
    assert (binary["code"], binary["message"]) == ("VALIDATION_ERROR", "Messages must be JSON text")
    huge = frame(send("$default", {"action": "ping", "pad": "x" * 40_000}))
    assert huge["message"].startswith("Message too large")


def test_subscribing_an_unregistered_connection_asks_to_reconnect(send: Any):
    reply = frame(send("$default", {"action": "subscribe", "topics": ["call"]}))
    assert (reply["type"], reply["code"]) == ("error", "UNAUTHORIZED")


def test_an_unexpected_failure_is_an_internal_error_frame_not_a_dropped_connection(store: MemoryConnections):
    class Broken(MemoryConnections):
        def set_topics(self, connection_id: str, topics: tuple[str, ...]) -> bool:
            raise RuntimeError("table unavailable: secret details")

    connections = ConnectionService(Broken(), verify, FixedClock())
    event = {
        "requestContext": {"routeKey": "$default", "connectionId": "c"},
        "body": '{"action":"subscribe","topics":["call"]}',
    }
    reply = frame(handle(event, connections))
    assert reply == {"type": "error", "code": "INTERNAL_ERROR", "message": "Internal server error"}


def test_disconnect_forgets_the_connection(send: Any, store: MemoryConnections):
    send("$connect", token=GOOD_TOKEN)
    assert send("$disconnect") == {"statusCode": 200}
    assert store.items == {}
