"""The idempotency store never holds a secret (issue 14). Every credential-issuing route is called with an
`Idempotency-Key` (and again, as a retry would); then every item of every table is scanned for the tokens,
key secrets and passwords those calls handed out. A replay answers the original status and body with the
secret null and `Idempotent-Replayed: true`; log-in and refresh ignore the key (each call issues new tokens)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3

from dce.adapters.tables import TABLES
from dce.bootstrap import services
from dce.domain.accounts import Role
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount
from tests.conftest import TEST_ENV, ApiResponse

PASSWORD = "idem-password-42"
ADMIN_PASSWORD = "idem-admin-pass-42"


def every_item() -> str:
    client = boto3.client("dynamodb")
    items = []
    for table in TABLES:
        items += client.scan(TableName=table.physical_name(TEST_ENV["DCE_TABLE_PREFIX"]))["Items"]
    return json.dumps(items)


def key(name: str) -> dict[str, str]:
    return {"Idempotency-Key": name}


def test_no_table_holds_a_token_a_key_secret_or_a_password_after_every_credential_route_with_a_key(
    call_api: Callable[..., ApiResponse],
):
    admin, _ = services().accounts.create(
        NewAccount(email="root@example.com", company_name="Root", role=Role.ADMIN, password=ADMIN_PASSWORD)
    )
    secrets: list[str] = [PASSWORD, ADMIN_PASSWORD]
    twice: list[ApiResponse] = []
    bot = {"email": "bot@example.com", "company_name": "Bot", "type": "buyer"}  # no password: a one-time api_key
    human = {"email": "human@example.com", "password": PASSWORD, "company_name": "Human", "type": "seller"}
    for body, name in ((bot, "signup-bot"), (human, "signup-human")):
        twice += [call_api("POST", "/accounts", body, headers=key(name)) for _ in range(2)]
    login = {"email": "human@example.com", "password": PASSWORD}
    logins = [call_api("POST", "/auth/login", login, headers=key("login-1")) for _ in range(2)]
    refreshes = [
        call_api("POST", "/auth/refresh", {"refresh_token": r.body["refresh_token"]}, headers=key("refresh-1"))
        for r in logins
    ]
    as_admin = Principal(admin.id, Role.ADMIN)
    created = {"email": "made@example.com", "company_name": "Made", "type": "buyer"}
    twice += [call_api("POST", "/admin/users", created, as_=as_admin, headers=key("admin-user")) for _ in range(2)]
    twice += [call_api("POST", "/api-keys", {"name": "ci"}, as_=as_admin, headers=key("key-1")) for _ in range(2)]

    for response in logins + refreshes:
        assert response.status == 200
        secrets += [response.body["access_token"], response.body["refresh_token"]]
    for first, replay in zip(twice[::2], twice[1::2], strict=True):
        assert first.status == replay.status == 201
        assert "Idempotent-Replayed" not in first.headers
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert {**first.body, "api_key": None} == replay.body
        if first.body.get("api_key"):
            secrets.append(first.body["api_key"])
            secrets.append(first.body["api_key"].rsplit("_", 1)[1])  # the random part alone
    assert len(secrets) == 2 + 8 + 3 * 2  # passwords, 4 token pairs, 3 one-time keys (whole and random part)
    stored = every_item()
    assert [s for s in secrets if s in stored] == []


def test_log_in_and_refresh_with_the_same_key_twice_issue_two_token_sets(call_api: Callable[..., ApiResponse]):
    services().accounts.sign_up(
        NewAccount(email="twice@example.com", company_name="T", role=Role.BUYER, password=PASSWORD)
    )
    login = {"email": "twice@example.com", "password": PASSWORD}
    first, second = (call_api("POST", "/auth/login", login, headers=key("same")) for _ in range(2))
    assert first.status == second.status == 200
    assert "Idempotent-Replayed" not in second.headers
    assert first.body["access_token"] != second.body["access_token"]
    assert first.body["refresh_token"] != second.body["refresh_token"]
    refreshed = [
        call_api("POST", "/auth/refresh", {"refresh_token": r.body["refresh_token"]}, headers=key("same-too"))
        for r in (first, second)
    ]
    assert [r.status for r in refreshed] == [200, 200]
    assert refreshed[0].body["refresh_token"] != refreshed[1].body["refresh_token"]


def test_every_replay_says_so(call_api: Callable[..., ApiResponse]):
    """Not only the credential routes: any remembered response replayed carries Idempotent-Replayed."""
    buyer, _ = services().accounts.sign_up(
        NewAccount(email="caller@example.com", company_name="C", role=Role.BUYER, password=PASSWORD)
    )
    caller = Principal(buyer.id, Role.BUYER)
    call: dict[str, Any] = {"from_number": "+14155551234", "to_number": "+18005551234"}
    first, replay = (call_api("POST", "/calls", call, as_=caller, headers=key("call-1")) for _ in range(2))
    assert (first.status, replay.status) == (201, 201)
    assert first.body == replay.body
    assert ("Idempotent-Replayed" in first.headers, replay.headers.get("Idempotent-Replayed")) == (False, "true")
