"""The JWT signing key is read only by the functions that sign or verify with it (`Area.uses_jwt_secret`):
the infrastructure grants Secrets Manager read to those alone, so any other path that reads it fails on AWS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dce import bootstrap
from dce.adapters import secrets
from dce.api.routes import AREAS
from dce.domain.accounts import Role
from dce.domain.calls import Direction
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount
from dce.services.auctions import NewAuction
from dce.services.calls import NewCall
from local.lambda_runtime import load_handler


class SecretRead(AssertionError):
    pass


class MinuteAgo:
    def now(self) -> datetime:
        return datetime.now(UTC) - timedelta(minutes=1)


@pytest.fixture
def secret_only_in_secrets_manager(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As on AWS: an ARN instead of the key, and reading it raises."""

    def refuse(arn: str, region: str) -> str:
        raise SecretRead(f"the JWT secret was read ({arn})")

    monkeypatch.delenv("DCE_JWT_SECRET")
    monkeypatch.setenv("DCE_JWT_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:dce-jwt")
    monkeypatch.setattr(secrets, "_from_secrets_manager", refuse)
    bootstrap.reset()
    yield
    bootstrap.reset()


def ended_auction() -> str:
    """An auction whose time is up (opened a minute ago for 30 s), with a bid; written without the secret."""
    s = bootstrap.build(clock=MinuteAgo())
    buyer, _ = s.accounts.create(NewAccount("buyer@example.com", "Acme", Role.BUYER, password="x" * 12))
    seller, _ = s.accounts.create(NewAccount("seller@example.com", "Acme", Role.SELLER, password="x" * 12))
    call = s.calls.create(Principal(buyer.id, Role.BUYER), NewCall("+14155551234", "+18005551234", Direction.INBOUND))
    auction = s.auctions.open(Principal(buyer.id, Role.BUYER), NewAuction(call.id, duration=30))
    s.bids.place(Principal(seller.id, Role.SELLER), auction.id, auction.reserve_price + 1)
    return auction.id


def test_only_auction_close_and_the_stream_consumers_go_without_the_secret():
    assert {a.name for a in AREAS if not a.uses_jwt_secret} == {"auction_close", "events", "autobids", "pushes"}


def test_the_timer_closes_an_auction_without_reading_the_secret(secret_only_in_secrets_manager, lambda_context: Any):
    auction_id = ended_auction()
    close = load_handler("auctions", "close")
    assert close({"auction_id": auction_id}, lambda_context) == {
        "auction_id": auction_id,
        "closed": True,
        "wait_seconds": 0,
    }
    assert bootstrap.services().auctions.on_timer(auction_id).closed  # the service as the handler built it


def test_the_events_function_starts_without_reading_the_secret(secret_only_in_secrets_manager, lambda_context: Any):
    events = load_handler("events")
    assert events({"Records": []}, lambda_context) == {"batchItemFailures": []}


def test_a_function_that_verifies_tokens_does_read_it(secret_only_in_secrets_manager, lambda_context: Any):
    """The control: the fixture really catches a read (the authorizer verifies a bearer token with it)."""
    authorizer = load_handler("authorizer")
    with pytest.raises(SecretRead):
        authorizer({"headers": {"Authorization": "Bearer x.y.z"}, "methodArn": "arn"}, lambda_context)
