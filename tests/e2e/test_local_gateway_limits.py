"""Fair use of the local gateway (contract v2, "Fair use"), against real local stacks: an unfinished request
head or body gets its connection closed (1 s here, 10 s by default), past the connection bound requests get
503 (and past twice the bound connections are closed at once), WebSockets are unaffected by the deadlines,
and `@connections` accepts only the exchange's own signed requests while the exchange's events still arrive."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.exceptions
import httpx
import pytest
from websockets.exceptions import InvalidStatus

from dce.adapters.tables import CONNECTIONS
from local.emulator import LOOPBACK, free_port
from local.launcher import exchange_credentials
from tests.conftest import TEST_ENV
from tests.e2e.api_client import ApiClient, User
from tests.e2e.conftest import local_stack
from tests.e2e.events_client import about, event_stream

pytestmark = pytest.mark.local_only  # starts its own local stacks

BOUND = 20
WAIT_S = 8.0  # far longer than the 1 s deadlines: a closed connection is seen well within this
INBOUND = {"from_number": "+14155551234", "to_number": "+18005551234", "direction": "inbound"}


@pytest.fixture(scope="module")
def moto_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def quick(moto_port: int) -> Iterator[str]:
    """A stack with 1 s head and body deadlines (and its embedded moto on a known port)."""
    env = {"DCE_HEAD_TIMEOUT_SECONDS": "1", "DCE_BODY_TIMEOUT_SECONDS": "1", "DCE_MOTO_PORT": str(moto_port)}
    with local_stack(**env) as url:
        yield url


@pytest.fixture(scope="module")
def bounded() -> Iterator[str]:
    """A stack serving at most BOUND connections (deadlines at their 10 s default)."""
    with local_stack(DCE_MAX_CONNECTIONS=str(BOUND)) as url:
        yield url


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or LOOPBACK, int(parts.port or 80)


def root(url: str) -> str:
    return url.split("/api/v1")[0]


def closed_by_server(sock: socket.socket, seconds: float = WAIT_S) -> bytes | None:
    """What the server sent before closing the connection (b"" for nothing), or None if it is still open
    after `seconds`."""
    sock.settimeout(seconds)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return received


@contextmanager
def idle_connections(url: str, count: int) -> Iterator[list[socket.socket]]:
    with ExitStack() as stack:
        yield [stack.enter_context(socket.create_connection(address(url))) for _ in range(count)]


def health(url: str) -> int:
    return httpx.get(f"{url}/health", timeout=10, headers={"Connection": "close"}).status_code


def eventually_healthy(url: str) -> int:
    """The health status once the server has seen closed sockets go (their FIN is handled asynchronously)."""
    deadline = time.monotonic() + WAIT_S
    while (status := health(url)) != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    return status


# -- deadlines -------------------------------------------------------------------------------------------------
def test_a_connection_that_sends_no_request_is_closed_while_requests_are_served(quick: str):
    with socket.create_connection(address(quick)) as idle:
        assert health(quick) == 200
        assert closed_by_server(idle) == b""


def test_a_request_head_trickled_byte_by_byte_is_cut_off_at_its_deadline(quick: str):
    """A slow-loris client: each byte arrives in time, the head never completes; bytes do not extend it."""
    with socket.create_connection(address(quick)) as slow:
        slow.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
        deadline = time.monotonic() + WAIT_S
        with pytest.raises(OSError):  # BrokenPipe / ConnectionReset once the server has closed it
            while time.monotonic() < deadline:
                slow.sendall(b"X-Slow: 1\r\n")
                time.sleep(0.1)
        assert time.monotonic() < deadline


def test_an_unfinished_body_gets_the_connection_closed_without_an_answer(quick: str):
    with socket.create_connection(address(quick)) as slow:
        slow.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"email": '
        )
        assert closed_by_server(slow) == b""  # closed at the deadline, nothing answered


def test_keep_alive_requests_each_get_a_fresh_deadline(quick: str):
    with httpx.Client(base_url=quick, timeout=10) as client:
        for _ in range(3):
            assert client.get("/health").status_code == 200
            time.sleep(0.6)  # together longer than the 1 s deadline, each gap shorter


def test_a_websocket_outlives_the_head_deadline(quick: str):
    buyer = ApiClient(quick).sign_up("buyer")
    with event_stream(quick, buyer) as stream:
        time.sleep(2.5)  # the head deadline (1 s) is over; the handshake completed before it
        assert stream.request({"action": "ping"}) == {"type": "pong"}


# -- the bound -------------------------------------------------------------------------------------------------
def test_past_the_bound_requests_get_503_and_are_served_again_once_connections_close(bounded: str):
    with idle_connections(bounded, BOUND):
        assert health(bounded) == 503
    assert eventually_healthy(bounded) == 200


def test_a_client_already_served_on_its_kept_alive_connection_is_not_refused_past_the_bound(bounded: str):
    """The bound sheds new connections (a flood of idle sockets), not the clients it is already serving."""
    with httpx.Client(timeout=10) as client:
        assert client.get(f"{bounded}/health").status_code == 200  # its connection is now open and served
        with idle_connections(bounded, BOUND):
            assert health(bounded) == 503  # a new connection is refused...
            assert [client.get(f"{bounded}/health").status_code for _ in range(3)] == [200] * 3  # ...it is not


def test_past_twice_the_bound_a_new_connection_is_closed_unanswered(bounded: str):
    with idle_connections(bounded, 2 * BOUND), socket.create_connection(address(bounded)) as late:
        with suppress(OSError):  # reset already
            late.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert closed_by_server(late) == b""  # not even a 503: closed as it was accepted
    assert eventually_healthy(bounded) == 200


def test_a_websocket_handshake_past_the_bound_is_answered_503(bounded: str):
    buyer = ApiClient(bounded, check_contract=False).sign_up("buyer")
    with idle_connections(bounded, BOUND), pytest.raises(InvalidStatus) as refused, event_stream(bounded, buyer):
        pass
    assert refused.value.response.status_code == 503
    assert eventually_healthy(bounded) == 200
    with event_stream(bounded, buyer) as stream:
        assert stream.request({"action": "ping"}) == {"type": "pong"}


def test_the_exchanges_own_pushes_are_not_refused_past_the_bound(bounded: str):
    """A signed `@connections` request is exempt from the 503: events still reach clients under a flood."""
    client = boto3.client("apigatewaymanagementapi", endpoint_url=root(bounded), **exchange_credentials())
    with idle_connections(bounded, BOUND):
        assert health(bounded) == 503
        with pytest.raises(client.exceptions.GoneException):  # answered by the gateway: not 503
            client.post_to_connection(ConnectionId="no-such-connection=", Data=b"{}")


# -- @connections ----------------------------------------------------------------------------------------------
def connection_of(moto_port: int, user: User) -> str:
    """The id of `user`'s open WebSocket, from the stack's own DynamoDB (what a local attacker can read)."""
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=f"http://{LOOPBACK}:{moto_port}",
        region_name="us-east-1",
        aws_access_key_id="anything",
        aws_secret_access_key="anything",
    )
    table = CONNECTIONS.physical_name(TEST_ENV["DCE_TABLE_PREFIX"])
    items = dynamodb.scan(TableName=table)["Items"]
    [connection] = [item["id"]["S"] for item in items if item.get("account_id", {}).get("S") == user.id]
    return str(connection)


def test_a_forged_push_is_refused_and_a_real_one_delivered(quick: str, moto_port: int):
    """Any other local process can find a victim's connection id, but not forge a frame to it."""
    buyer = ApiClient(quick).sign_up("buyer")
    forged = json.dumps({"id": str(uuid.uuid4()), "type": "auction.closed", "data": {"outcome": "won"}})
    with event_stream(quick, buyer) as stream:
        assert stream.request({"action": "ping"}) == {"type": "pong"}  # registered
        connection = connection_of(moto_port, buyer)
        url = f"{root(quick)}/@connections/{connection}"
        answer = httpx.post(url, content=forged, headers={"Authorization": "AWS4-HMAC-SHA256 x"})
        assert (answer.status_code, answer.json()) == (403, {"message": "Forbidden"})
        assert answer.headers["x-amzn-errortype"] == "ForbiddenException"
        well_known = boto3.client(  # signed, with the emulator's well-known dummy key
            "apigatewaymanagementapi",
            endpoint_url=root(quick),
            **{**exchange_credentials(), "aws_secret_access_key": "testing"},
        )
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            well_known.post_to_connection(ConnectionId=connection, Data=forged.encode())
        assert refused.value.response["Error"]["Code"] == "ForbiddenException"
        own = boto3.client("apigatewaymanagementapi", endpoint_url=root(quick), **exchange_credentials())
        own.post_to_connection(ConnectionId=connection, Data=b'{"type": "pushed"}')
        assert stream.wait_for(lambda frame: True, since=len(stream.frames)) == {"type": "pushed"}
        assert not any(frame.get("type") == "auction.closed" for frame in stream.frames)
        with pytest.raises(own.exceptions.GoneException):
            own.post_to_connection(ConnectionId="no-such-connection=", Data=b"{}")


def test_the_exchanges_own_events_are_still_delivered(quick: str):
    api = ApiClient(quick)
    buyer = api.sign_up("buyer")
    with event_stream(quick, buyer) as stream:
        assert stream.request({"action": "ping"}) == {"type": "pong"}
        created: dict[str, Any] = api.post("/calls", INBOUND, buyer).json()
        stream.wait_for(about("call.created", "call", created["id"]))
