"""Suspended accounts (issue 14), through the real authorizer and handlers in-process, on moto: every credential
of a suspended account is refused from the next request with 401 ACCOUNT_SUSPENDED, its log-in with 403, its
WebSocket handshake with 401; a reactivation restores its API keys, never its old sessions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dce.adapters.connections_repo import DynamoConnectionRepo
from dce.api.routes import API_PREFIX, find_route
from dce.bootstrap import connections, services
from dce.domain.accounts import AccountStatus, Role
from dce.domain.connections import Connection
from dce.domain.errors import AccountNotFound
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount
from dce.services.suspension import AccountConnections, SuspensionService
from local.events import authorizer_event
from local.lambda_runtime import invoke
from tests.conftest import ApiResponse, make_event

PASSWORD = "suspend-me-password-1"


def send(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> ApiResponse:
    """One request as the (local) gateway runs it: the authorizer for a non-public route, then the function."""
    event = make_event(method, API_PREFIX + path, body, headers=headers)
    route = find_route(method, event["resource"])
    assert route is not None
    if not route.public:
        outcome, policy = invoke("authorizer", authorizer_event(event))
        if outcome == "error":  # API Gateway's UNAUTHORIZED gateway response
            assert policy == "Unauthorized"
            return ApiResponse(401, {}, {"error": {"code": "UNAUTHORIZED"}}, "")
        event["requestContext"]["authorizer"] = {"principalId": policy["principalId"], **policy["context"]}
    outcome, result = invoke(route.area, event)
    assert outcome == "ok", result
    raw = result.get("body") or ""
    headers_out = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers_out[key] = ", ".join(values)
    return ApiResponse(result["statusCode"], headers_out, json.loads(raw) if raw else None, raw)


def code(response: ApiResponse) -> tuple[int, str]:
    return response.status, response.body["error"]["code"] if response.status >= 400 else ""


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def member(aws: None) -> dict[str, str]:
    """A buyer with a password, logged in, with an API key of its own."""
    account, _ = services().accounts.sign_up(
        NewAccount(email="member@example.com", company_name="Acme", role=Role.BUYER, password=PASSWORD)
    )
    tokens = send("POST", "/auth/login", {"email": "member@example.com", "password": PASSWORD}).body
    key = send("POST", "/api-keys", {"name": "bot"}, bearer(tokens["access_token"])).body["api_key"]
    return {"id": account.id, "access": tokens["access_token"], "refresh": tokens["refresh_token"], "key": key}


def suspend(account_id: str) -> None:
    services().suspension.set_status(account_id, AccountStatus.SUSPENDED)


def test_before_a_suspension_every_credential_works(member: dict[str, str]):
    assert send("GET", "/profile", headers=bearer(member["access"])).status == 200
    assert send("GET", "/profile", headers={"X-API-Key": member["key"]}).status == 200


def test_a_suspended_accounts_access_token_api_key_and_refresh_token_get_401_account_suspended(
    member: dict[str, str],
):
    suspend(member["id"])
    for headers in (bearer(member["access"]), {"X-API-Key": member["key"]}):
        for method, path, body in (("GET", "/profile", None), ("POST", "/api-keys", {"name": "more"})):
            response = send(method, path, body, headers)
            assert code(response) == (401, "ACCOUNT_SUSPENDED"), (path, response.body)
            assert response.headers["WWW-Authenticate"] == 'Bearer realm="dce"'
    refreshed = send("POST", "/auth/refresh", {"refresh_token": member["refresh"]})
    assert code(refreshed) == (401, "ACCOUNT_SUSPENDED")


def test_a_suspended_account_cannot_create_keys_or_bid(member: dict[str, str]):
    """What the issue saw: a suspended account's API key still created keys (and could bid)."""
    suspend(member["id"])
    seller, key = services().accounts.sign_up(
        NewAccount(email="seller@example.com", company_name="S", role=Role.SELLER, password=None)
    )
    assert key is not None
    suspend(seller.id)
    bid = {"auction_id": "00000000-0000-4000-8000-000000000000", "amount": 5.00}
    assert code(send("POST", "/bids", bid, {"X-API-Key": key})) == (401, "ACCOUNT_SUSPENDED")
    keys = services().api_keys.active_for(Principal(member["id"], Role.BUYER))
    assert [k.name for k in keys] == ["bot"]  # the refused POST /api-keys created nothing


def test_a_suspended_accounts_log_in_is_403_but_only_with_the_right_password(member: dict[str, str]):
    suspend(member["id"])
    right = send("POST", "/auth/login", {"email": "member@example.com", "password": PASSWORD})
    assert code(right) == (403, "ACCOUNT_SUSPENDED")
    assert "WWW-Authenticate" not in right.headers
    wrong = send("POST", "/auth/login", {"email": "member@example.com", "password": PASSWORD + "x"})
    assert code(wrong) == (401, "INVALID_CREDENTIALS")  # nothing told to someone without the password


def test_a_reactivation_restores_the_api_keys_but_not_the_old_sessions(member: dict[str, str]):
    account = Principal(member["id"], Role.BUYER)
    # An access token from before the suspension (issued a few seconds ago, as a 15-minute token may be).
    old_access = services().tokens.access_token(account, datetime.now(UTC) - timedelta(seconds=5), "old-jti")
    assert send("GET", "/profile", headers=bearer(old_access)).status == 200
    suspend(member["id"])
    assert code(send("POST", "/auth/refresh", {"refresh_token": member["refresh"]})) == (401, "ACCOUNT_SUSPENDED")
    services().suspension.set_status(member["id"], AccountStatus.ACTIVE)

    assert send("GET", "/profile", headers={"X-API-Key": member["key"]}).status == 200
    assert code(send("POST", "/auth/refresh", {"refresh_token": member["refresh"]})) == (401, "UNAUTHORIZED")
    assert code(send("GET", "/profile", headers=bearer(old_access))) == (401, "UNAUTHORIZED")
    fresh = send("POST", "/auth/login", {"email": "member@example.com", "password": PASSWORD})
    assert fresh.status == 200
    assert send("GET", "/profile", headers=bearer(fresh.body["access_token"])).status == 200
    assert send("POST", "/auth/refresh", {"refresh_token": fresh.body["refresh_token"]}).status == 200


def test_a_refresh_token_of_a_session_from_before_a_suspension_is_refused_even_if_never_presented_meanwhile(
    member: dict[str, str],
):
    """No scan: the family is not touched by the suspension; its start is compared with the cut-off."""
    suspend(member["id"])
    services().suspension.set_status(member["id"], AccountStatus.ACTIVE)
    assert code(send("POST", "/auth/refresh", {"refresh_token": member["refresh"]})) == (401, "UNAUTHORIZED")


def test_the_authorizer_names_the_status_in_its_context_and_refuses_an_account_that_is_gone(
    member: dict[str, str],
):
    event = authorizer_event(make_event("GET", API_PREFIX + "/profile", headers={"X-API-Key": member["key"]}))
    outcome, policy = invoke("authorizer", event)
    assert (outcome, policy["context"]["account_status"]) == ("ok", "active")
    suspend(member["id"])
    outcome, policy = invoke("authorizer", event)
    assert (outcome, policy["context"]["account_status"]) == ("ok", "suspended")
    ghost = services().tokens.access_token(Principal("no-such-account", Role.ADMIN), datetime.now(UTC), "jti")
    ghost_event = authorizer_event(make_event("GET", API_PREFIX + "/profile", headers=bearer(ghost)))
    assert invoke("authorizer", ghost_event) == ("error", "Unauthorized")


def test_a_function_refuses_a_context_without_an_account_status(member: dict[str, str]):
    """Only our authorizer's context counts: one without a status is no caller (fail closed)."""
    event = make_event("GET", API_PREFIX + "/profile")
    event["requestContext"]["authorizer"] = {"account_id": member["id"], "role": "buyer"}
    outcome, result = invoke("accounts", event)
    assert outcome == "ok"
    assert (result["statusCode"], json.loads(result["body"])["error"]["code"]) == (401, "UNAUTHORIZED")


def ws_connect(token: str) -> dict[str, Any]:
    from dce.api.websocket import handle

    event = {"requestContext": {"routeKey": "$connect", "connectionId": "c-1", "requestId": "r-1"}}
    event["queryStringParameters"] = {"token": token}
    return handle(event, connections())


def test_the_websocket_handshake_of_a_suspended_account_is_refused_with_401(member: dict[str, str]):
    assert ws_connect(member["access"])["statusCode"] == 200
    suspend(member["id"])
    refused = ws_connect(member["access"])
    assert refused["statusCode"] == 401
    assert json.loads(refused["body"])["error"]["code"] == "ACCOUNT_SUSPENDED"


class RecordingPusher:
    def __init__(self) -> None:
        self.closed: list[str] = []

    def disconnect(self, connection_id: str) -> None:
        self.closed.append(connection_id)


def test_a_suspension_closes_and_forgets_the_accounts_connections_and_only_those(member: dict[str, str]):
    repo, pusher, now = DynamoConnectionRepo(), RecordingPusher(), datetime.now(UTC)
    for connection_id, account_id in (("mine-1", member["id"]), ("mine-2", member["id"]), ("theirs", "other")):
        repo.put(Connection.opened(connection_id, account_id, Role.BUYER, now))
    service = SuspensionService(services()._account_repo, AccountConnections(repo, pusher), services().clock)
    account = service.set_status(member["id"], AccountStatus.SUSPENDED)
    assert account.status == "suspended"
    assert account.sessions_valid_after is not None
    assert sorted(pusher.closed) == ["mine-1", "mine-2"]
    assert (repo.get("mine-1"), repo.get("mine-2")) == (None, None)
    assert repo.get("theirs") is not None
    service.set_status(member["id"], AccountStatus.ACTIVE)
    assert sorted(pusher.closed) == ["mine-1", "mine-2"]  # a reactivation closes nothing


def test_the_status_of_an_unknown_account_cannot_be_set(aws: None):
    with pytest.raises(AccountNotFound):
        services().suspension.set_status("00000000-0000-4000-8000-000000000000", AccountStatus.SUSPENDED)
