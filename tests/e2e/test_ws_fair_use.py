"""Fair use of the WebSocket API over a real WebSocket client, on a local exchange whose cap is 3 connections
per account (`DCE_WS_MAX_CONNECTIONS_PER_ACCOUNT`): the handshake past it is refused with 429, another account
still connects and hears its events, and closing a connection gives its place back."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from websockets.exceptions import InvalidStatus

from tests.e2e.api_client import ApiClient, User
from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, local_stack
from tests.e2e.events_client import WAIT_S, about, event_stream

pytestmark = pytest.mark.local_only  # a cap of its own: a local exchange started for this module

CAP = 3
INBOUND = {"from_number": "+14155551234", "to_number": "+18005551234", "direction": "inbound"}


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[ApiClient, str]]:
    with local_stack(DCE_WS_MAX_CONNECTIONS_PER_ACCOUNT=str(CAP)) as url:
        yield ApiClient(url), url


def refused_status(base_url: str, user: User) -> tuple[int, dict[str, object]]:
    with pytest.raises(InvalidStatus) as refused, event_stream(base_url, user):
        pass
    response = refused.value.response
    if response.status_code == 429:  # told when to try again, as every 429 of the API
        assert int(response.headers["Retry-After"]) >= 1
    return response.status_code, json.loads(response.body or b"{}")


def test_the_handshake_past_the_cap_is_refused_while_another_account_connects(stack: tuple[ApiClient, str]) -> None:
    api, base_url = stack
    noisy, victim = api.sign_up("buyer"), api.sign_up("buyer")
    with ExitStack() as held:
        streams = [held.enter_context(event_stream(base_url, noisy)) for _ in range(CAP)]
        status, body = refused_status(base_url, noisy)
        assert status == 429 and body["error"]["code"] == "RATE_LIMITED"  # type: ignore[index]
        with event_stream(base_url, victim) as own:  # another account is not affected
            call = api.post("/calls", INBOUND, victim)
            assert call.status_code == 201, call.text
            own.wait_for(about("call.created", "call", call.json()["id"]))
        for stream in streams:
            assert stream.request({"action": "ping"}) == {"type": "pong"}  # the admitted ones work as before


def test_closing_a_connection_gives_its_place_back(stack: tuple[ApiClient, str]) -> None:
    api, base_url = stack
    buyer = api.sign_up("buyer")
    with ExitStack() as held:
        for _ in range(CAP - 1):
            held.enter_context(event_stream(base_url, buyer))
        with event_stream(base_url, buyer):
            assert refused_status(base_url, buyer)[0] == 429
        deadline = time.monotonic() + WAIT_S  # $disconnect runs once the socket has closed
        while True:
            try:
                with event_stream(base_url, buyer) as again:
                    assert again.request({"action": "ping"}) == {"type": "pong"}
                break
            except InvalidStatus as refused:
                assert refused.response.status_code == 429 and time.monotonic() < deadline
                time.sleep(0.05)


def test_admins_are_capped_too(stack: tuple[ApiClient, str]) -> None:
    api, base_url = stack
    admin = api.admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    with ExitStack() as held:
        for _ in range(CAP):
            held.enter_context(event_stream(base_url, admin))
        assert refused_status(base_url, admin)[0] == 429
