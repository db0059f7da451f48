"""DynamoDB round trips per use case: the budget the issue sets, checked by counting real calls."""

from __future__ import annotations

from decimal import Decimal

from dce.bootstrap import services
from dce.domain.accounts import Role
from dce.domain.calls import CallStatus
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount
from dce.services.auctions import NewAuction
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


def test_routing_a_call_whose_auction_is_settled_takes_four_and_completion_one_transaction(aws):
    """Routing reads the call, its auction and the buyer (whose worst case it holds), then writes the call and
    the hold in one transaction; completion reads the call and both accounts and writes once."""
    buyer, seller = principal(Role.BUYER, "b@example.com"), principal(Role.SELLER, "s@example.com")
    call = services().calls.create(buyer, NewCall("+14155551234", "+18005551234"))
    auction = services().auctions.open(buyer, NewAuction(call.id, duration=600))
    services().bids.place(seller, auction.id, Decimal("5.00"))
    services().auctions.complete(buyer, auction.id)
    with dynamodb_calls() as routing:
        services().calls.route(buyer, call.id)
    assert routing == {"GetItem": 3, "TransactWriteItems": 1}
    services().calls.change_status(buyer, call.id, CallStatus.RINGING)
    services().calls.change_status(buyer, call.id, CallStatus.IN_PROGRESS)
    with dynamodb_calls() as completion:
        services().calls.complete(buyer, call.id, 61)
    assert completion["TransactWriteItems"] == 1
    assert completion == {"GetItem": 3, "TransactWriteItems": 1}
