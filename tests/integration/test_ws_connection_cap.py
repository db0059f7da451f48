"""At most so many WebSocket connections per account, on DynamoDB (moto server): the account's item in the
connections table counts them with a conditional write, so concurrent handshakes never pass the cap; every
way a connection is forgotten frees its place exactly once, and places of connections that ended without
anyone forgetting them (TTL) come back by themselves."""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dce.adapters.aws import table
from dce.adapters.connections_repo import DynamoConnectionRepo, account_key
from dce.adapters.system import SystemClock
from dce.adapters.tables import CONNECTIONS
from dce.api.websocket import handle
from dce.bootstrap import connections, services
from dce.domain.accounts import Role
from dce.domain.connections import Connection
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount
from local.lambda_runtime import load_handler

MAX = 100  # the default of DCE_WS_MAX_CONNECTIONS_PER_ACCOUNT


def account(role: Role = Role.BUYER) -> Principal:
    created, _ = services().accounts.create(
        NewAccount(
            email=f"{role}-{random.getrandbits(40)}@example.com", company_name="Acme", role=role, password="x" * 12
        )
    )
    return Principal(created.id, role)


def token_of(principal: Principal) -> str:
    return services().tokens.access_token(principal, SystemClock().now(), f"jti-{random.getrandbits(40)}")


def ws_event(route: str, connection_id: str, token: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"requestContext": {"routeKey": route, "connectionId": connection_id, "requestId": "r"}}
    if token is not None:
        event["queryStringParameters"] = {"token": token}
    return event


def live_places(account_id: str) -> set[str]:
    item = table(CONNECTIONS).get_item(Key=account_key(account_id), ConsistentRead=True).get("Item") or {}
    return set(item.get("live") or ())


def opened(connection_id: str, account_id: str, at: datetime, role: Role = Role.BUYER) -> Connection:
    return Connection.opened(connection_id, account_id, role, at, at + timedelta(minutes=15))


def test_of_concurrent_handshakes_of_one_account_exactly_the_maximum_are_admitted(
    aws: None, lambda_context: Any
) -> None:
    buyer, other = account(), account(Role.SELLER)
    token = token_of(buyer)
    assert handle(ws_event("$connect", "warm-up", token_of(other)), connections())["statusCode"] == 200

    def connect(n: int) -> dict[str, Any]:
        return handle(ws_event("$connect", f"conn-{n}", token), connections())

    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(connect, range(MAX + 30)))
    statuses = [a["statusCode"] for a in answers]
    assert (statuses.count(200), statuses.count(429)) == (MAX, 30)
    refused = next(a for a in answers if a["statusCode"] == 429)
    assert json.loads(refused["body"])["error"]["code"] == "RATE_LIMITED"
    assert 0 < int(refused["headers"]["Retry-After"]) <= 15 * 60  # the earliest connection ends with its token
    admitted = {f"conn-{n}" for n, status in enumerate(statuses) if status == 200}
    found = DynamoConnectionRepo().for_accounts(frozenset({buyer.account_id}))
    assert {c.id for c in found} == admitted  # the refused ones wrote nothing; the count item is not a connection
    assert {p.split(":", 1)[1] for p in live_places(buyer.account_id)} == admitted
    assert handle(ws_event("$connect", "other-2", token_of(other)), connections())["statusCode"] == 200

    handler = load_handler("ws")  # the function itself: $disconnect frees a place, the next handshake takes it
    assert handler(ws_event("$connect", "one-more", token), lambda_context)["statusCode"] == 429
    assert handler(ws_event("$disconnect", sorted(admitted)[0]), lambda_context) == {"statusCode": 200}
    assert handler(ws_event("$connect", "one-more", token), lambda_context)["statusCode"] == 200
    assert handler(ws_event("$connect", "yet-another", token), lambda_context)["statusCode"] == 429


def test_admins_are_capped_too(aws: None) -> None:
    repo, admin, now = DynamoConnectionRepo(max_per_account=2), "admin-1", datetime.now(UTC)
    assert [repo.admit(opened(f"a-{n}", admin, now, Role.ADMIN)) for n in range(2)] == [None, None]
    assert repo.admit(opened("a-2", admin, now, Role.ADMIN)) is not None
    assert {c.id for c in repo.admins()} == {"a-0", "a-1"}  # the count item is in no index


def test_a_connection_forgotten_twice_at_once_frees_one_place(aws: None) -> None:
    """$disconnect racing the fan-out's delete of a gone connection (or a suspension): one of them deletes
    the record and frees the place, the other finds nothing; the count never drops below the truth."""
    repo, now = DynamoConnectionRepo(max_per_account=2), datetime.now(UTC)
    assert repo.admit(opened("first", "acct", now)) is None
    assert repo.admit(opened("second", "acct", now)) is None
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: repo.delete("first"), range(4)))
    assert repo.admit(opened("third", "acct", now)) is None
    assert repo.admit(opened("fourth", "acct", now)) is not None  # second and third hold both places
    assert {p.split(":", 1)[1] for p in live_places("acct")} == {"second", "third"}


def test_places_of_connections_that_ended_unnoticed_come_back_at_the_cap(aws: None) -> None:
    """A record removed by TTL (no $disconnect, no event to notice it) keeps its place until its connection
    would have ended; an account at the cap has those places pruned before it is refused."""
    repo, now = DynamoConnectionRepo(max_per_account=2), datetime.now(UTC)
    earlier = now - timedelta(minutes=20)
    assert repo.admit(opened("ended", "acct", earlier)) is None  # its token expired 5 minutes ago
    table(CONNECTIONS).delete_item(Key={"id": "ended"})  # as TTL does: the count is not told
    assert repo.admit(opened("live-1", "acct", now)) is None
    assert repo.admit(opened("live-2", "acct", now)) is None  # at the cap: the ended one's place is taken back
    frees_at = repo.admit(opened("live-3", "acct", now))
    assert frees_at is not None and frees_at <= now + timedelta(minutes=15)
    assert {p.split(":", 1)[1] for p in live_places("acct")} == {"live-1", "live-2"}


def test_a_failed_record_write_frees_the_place_it_took(aws: None, monkeypatch: Any) -> None:
    repo, now = DynamoConnectionRepo(max_per_account=1), datetime.now(UTC)

    class Unavailable(Exception):
        pass

    def broken_put(**_: Any) -> None:
        raise Unavailable

    real_table = table

    def patched(definition: Any) -> Any:
        resource = real_table(definition)
        resource.put_item = broken_put
        return resource

    monkeypatch.setattr("dce.adapters.connections_repo.aws.table", patched)
    with pytest.raises(Unavailable):
        repo.admit(opened("doomed", "acct", now))
    monkeypatch.undo()
    assert live_places("acct") == set()
    assert repo.admit(opened("next", "acct", now)) is None
