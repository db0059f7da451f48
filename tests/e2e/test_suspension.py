"""Suspended accounts over HTTP and WebSocket (issue 14): an admin's `PATCH /admin/accounts/{id} {status}`
refuses every credential of the account from the next request (401 ACCOUNT_SUSPENDED, log-in 403), closes its
open WebSockets within 5 s and refuses new handshakes; a reactivation restores its API keys, not its sessions."""

from __future__ import annotations

import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.e2e.api_client import PASSWORD, ApiClient, User
from tests.e2e.assertions import assert_error
from tests.e2e.events_client import event_stream

CLOSE_WITHIN_S = 5.0


def set_status(api: ApiClient, admin: User, user: User, status: str) -> None:
    response = api.patch(f"/admin/accounts/{user.id}", {"status": status}, admin)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == status


def api_key_of(api: ApiClient, user: User) -> str:
    response = api.post("/api-keys", {"name": "bot"}, user)
    assert response.status_code == 201, response.text
    return str(response.json()["api_key"])


def test_every_credential_of_a_suspended_account_is_refused_from_the_next_request(
    api: ApiClient, admin: User, buyer: User
):
    key = api_key_of(api, buyer)
    assert api.get("/profile", buyer).status_code == 200
    set_status(api, admin, buyer, "suspended")
    for headers in ({"Authorization": f"Bearer {buyer.access_token}"}, {"X-API-Key": key}):
        assert_error(api.get("/profile", headers=headers), 401, "ACCOUNT_SUSPENDED")
        assert_error(api.post("/api-keys", {"name": "more"}, headers=headers), 401, "ACCOUNT_SUSPENDED")
        assert_error(api.post("/calls", {"from_number": "+14155551234"}, headers=headers), 401, "ACCOUNT_SUSPENDED")
    assert_error(api.post("/auth/refresh", {"refresh_token": buyer.refresh_token}), 401, "ACCOUNT_SUSPENDED")
    assert_error(api.post("/auth/login", {"email": buyer.email, "password": PASSWORD}), 403, "ACCOUNT_SUSPENDED")
    wrong = api.post("/auth/login", {"email": buyer.email, "password": PASSWORD + "-wrong"})
    assert_error(wrong, 401, "INVALID_CREDENTIALS")  # the suspension is told only to who knows the password


def test_a_reactivated_account_has_its_api_keys_back_but_not_its_sessions(api: ApiClient, admin: User, seller: User):
    key = api_key_of(api, seller)
    set_status(api, admin, seller, "suspended")
    assert_error(api.get("/profile", headers={"X-API-Key": key}), 401, "ACCOUNT_SUSPENDED")
    set_status(api, admin, seller, "active")
    assert api.get("/profile", headers={"X-API-Key": key}).status_code == 200
    refreshed = api.post("/auth/refresh", {"refresh_token": seller.refresh_token})
    assert_error(refreshed, 401, "UNAUTHORIZED")  # suspension revoked every refresh token: log in again
    tokens = api.login(seller.email)
    assert api.get("/profile", headers={"Authorization": f"Bearer {tokens['access_token']}"}).status_code == 200
    assert api.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}).status_code == 200


def test_a_suspension_closes_the_accounts_open_websockets_within_5_seconds(
    api: ApiClient, admin: User, base_url: str, buyer: User, seller: User
):
    with event_stream(base_url, buyer) as mine, event_stream(base_url, seller) as theirs:
        assert mine.request({"action": "ping"}) == {"type": "pong"}
        started = time.monotonic()
        set_status(api, admin, buyer, "suspended")
        with pytest.raises(ConnectionClosed):
            mine.wait_for(lambda frame: False, timeout=CLOSE_WITHIN_S)
        assert time.monotonic() - started < CLOSE_WITHIN_S
        assert theirs.request({"action": "ping"}) == {"type": "pong"}  # another account's stays open


def test_a_suspended_accounts_websocket_handshake_is_refused(api: ApiClient, admin: User, base_url: str, buyer: User):
    set_status(api, admin, buyer, "suspended")
    with pytest.raises(InvalidStatus) as refused, event_stream(base_url, buyer):
        pass
    assert refused.value.response.status_code == 401
    assert b"ACCOUNT_SUSPENDED" in (refused.value.response.body or b"")
