"""DynamoDB round trips per use case: the budget the issue sets, checked by counting real calls."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from dce.adapters import aws
from dce.adapters.aws import table_name as aws_table_name
from dce.adapters.bid_profiles_repo import DynamoBidProfileRepo
from dce.adapters.tables import AUCTIONS, CALLS
from dce.bootstrap import services
from dce.domain.accounts import Role
from dce.domain.calls import CallStatus, Direction
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount
from dce.services.auctions import NewAuction
from dce.services.bid_profiles import ProfileInput
from dce.services.calls import NewCall
from tests.round_trips import dynamodb_calls


def principal(role: Role, email: str) -> Principal:
    account, _ = services().accounts.create(NewAccount(email, "Acme", role, password="x" * 12))
    return Principal(account.id, role)


def test_placing_a_bid_takes_two_round_trips(aws):
    buyer, seller = principal(Role.BUYER, "b@example.com"), principal(Role.SELLER, "s@example.com")
    call = services().calls.create(buyer, NewCall("+14155551234", "+18005551234"))
    auction = services().auctions.open(buyer, NewAuction(call.id, duration=600))
    with dynamodb_calls() as calls:
        services().bids.place(seller, auction.id, Decimal("5.00"))
    assert calls == {"GetItem": 1, "TransactWriteItems": 1}


def test_routing_a_call_whose_auction_is_settled_takes_four_and_completion_three(aws):
    """Routing reads the call, its auction, then the buyer (whose worst case it holds) with the bidders' accounts
    (their hours and status) in one batch, then writes the call, the hold and the seller's capacity counters in
    one transaction; completion reads the call, then both accounts and the billed-caller mark in one batch, and
    writes once."""
    buyer, seller = principal(Role.BUYER, "b@example.com"), principal(Role.SELLER, "s@example.com")
    call = services().calls.create(buyer, NewCall("+14155551234", "+18005551234"))
    auction = services().auctions.open(buyer, NewAuction(call.id, duration=600))
    services().bids.place(seller, auction.id, Decimal("5.00"))
    services().auctions.complete(buyer, auction.id)
    with dynamodb_calls() as routing:
        services().calls.route(buyer, call.id)
    assert routing == {"GetItem": 2, "BatchGetItem": 1, "TransactWriteItems": 1}
    services().calls.change_status(buyer, call.id, CallStatus.RINGING)
    services().calls.change_status(buyer, call.id, CallStatus.IN_PROGRESS)
    with dynamodb_calls() as completion:
        services().calls.complete(buyer, call.id, 61)
    assert completion["TransactWriteItems"] == 1
    assert completion == {"GetItem": 1, "BatchGetItem": 1, "TransactWriteItems": 1}


@contextmanager
def tables_touched() -> Iterator[list[tuple[str, str]]]:
    """(operation, table) for every DynamoDB call made inside, a transaction once per table it writes."""
    touched: list[tuple[str, str]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        names = {params["TableName"]} if "TableName" in params else set(params.get("RequestItems", {}))
        for item in params.get("TransactItems", []):
            names |= {part["TableName"] for part in item.values()}
        touched.extend((model.name, name) for name in sorted(names))

    events = aws.dynamodb().meta.client.meta.events
    events.register("before-parameter-build.dynamodb", record, unique_id="dce-tables-touched")  # the API params
    try:
        yield touched
    finally:
        events.unregister("before-parameter-build.dynamodb", unique_id="dce-tables-touched")


def test_opening_an_auction_costs_the_same_however_many_profiles_match(aws):
    """Fair use: 300 catch-all automatic-bid profiles (6 sellers x 50) once made POST /auctions take seconds;
    opening now reads the call and writes the auction and the call's claim, and nothing else: the automatic
    bids are the autobids function's (tests/integration/test_autobids.py)."""
    buyer = principal(Role.BUYER, "b@example.com")
    quiet = services().calls.create(buyer, NewCall("+14155551234", "+18005551234", Direction.INBOUND))
    with dynamodb_calls() as without_profiles:
        services().auctions.open(buyer, NewAuction(quiet.id, duration=600))
    for n in range(6):
        seller = principal(Role.SELLER, f"s{n}@example.com")
        for _ in range(50):
            services().bid_profiles.create(
                seller, ProfileInput({}, auto_bid_amount=Decimal("2.00"), auto_bid_given=True)
            )
    assert len(DynamoBidProfileRepo().auto_bidders()) == 300
    call = services().calls.create(buyer, NewCall("+14155551234", "+18005551234", Direction.INBOUND))
    with dynamodb_calls() as calls, tables_touched() as touched:
        opened = services().auctions.open(buyer, NewAuction(call.id, duration=600))
    assert calls == without_profiles == {"GetItem": 1, "TransactWriteItems": 1}
    assert {name for _, name in touched} == {aws_table_name(CALLS), aws_table_name(AUCTIONS)}
    assert opened.bid_count == 0 and services().auctions.view(buyer, opened.id).bids == []
