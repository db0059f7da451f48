"""Auctions, bids, routing and billing on DynamoDB (moto server), including the races that matter."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from dce.bootstrap import services
from dce.domain.accounts import Role
from dce.domain.auctions import AuctionStatus, BidStatus, BillingModel
from dce.domain.calls import CallStatus
from dce.domain.errors import (
    AuctionClosed,
    AuctionExists,
    BidBelowReserve,
    BidNotHigher,
    FraudSuspected,
    InvalidState,
    NoBidsAvailable,
)
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount
from dce.services.auctions import NewAuction
from dce.services.calls import NewCall


def account(role: Role) -> Principal:
    created, _ = services().accounts.create(
        NewAccount(
            email=f"{role}-{random.getrandbits(40)}@example.com", company_name="Acme", role=role, password="x" * 12
        )
    )
    return Principal(created.id, role)


def a_call(buyer: Principal) -> str:
    return services().calls.create(buyer, NewCall("+14155551234", "+18005551234")).id


def an_auction(buyer: Principal, **kwargs: object) -> str:
    return services().auctions.open(buyer, NewAuction(a_call(buyer), **kwargs)).id  # type: ignore[arg-type]


def test_the_seed_flow_bills_the_winning_bid_exactly(aws):
    buyer = account(Role.BUYER)
    sellers = [account(Role.SELLER) for _ in range(3)]
    call_id = a_call(buyer)
    auction_id = services().auctions.open(buyer, NewAuction(call_id, duration=10)).id
    with ThreadPoolExecutor(3) as pool:
        list(
            pool.map(
                lambda p: services().bids.place(p[0], auction_id, Decimal(p[1])),
                zip(sellers, ["15.50", "8.25", "22.00"], strict=True),
            )
        )
    closed = services().auctions.complete(buyer, auction_id)
    assert closed.winning_bid is not None and closed.winning_bid.amount == Decimal("22.00")
    assert closed.winning_bid.seller_id == sellers[2].account_id
    routed = services().calls.route(buyer, call_id)
    assert (routed.status, routed.seller_id) == (CallStatus.QUEUED, sellers[2].account_id)
    services().calls.change_status(buyer, call_id, CallStatus.RINGING)
    services().calls.change_status(buyer, call_id, CallStatus.IN_PROGRESS)
    done = services().calls.complete(buyer, call_id, 240)
    assert done.cost == Decimal("88.00")
    assert services().accounts.get(buyer.account_id).balance == Decimal("912.00")
    assert services().accounts.get(sellers[2].account_id).balance == Decimal("88.00")
    [payout] = services().accounts.ledger(sellers[2].account_id, 10, None).items
    assert (payout.type.value, payout.amount, payout.call_id) == ("payout", Decimal("88.00"), call_id)
    statuses = {
        b.seller_id: b.status for b in services().bids.list(Principal("x", Role.ADMIN), auction_id, 50, None).items
    }
    assert statuses[sellers[2].account_id] is BidStatus.WON
    assert statuses[sellers[0].account_id] is BidStatus.LOST


def test_fifty_concurrent_bids_are_all_stored_and_the_true_maximum_wins(aws):
    buyer = account(Role.BUYER)
    sellers = [account(Role.SELLER) for _ in range(50)]
    auction_id = an_auction(buyer, duration=600)
    amounts = [Decimal(random.randint(100, 99_999)) / 100 for _ in sellers]
    with ThreadPoolExecutor(8) as pool:
        placed = list(
            pool.map(lambda p: services().bids.place(p[0], auction_id, p[1]), zip(sellers, amounts, strict=True))
        )
    assert len(placed) == 50
    stored = services().bids.list(Principal("x", Role.ADMIN), auction_id, 100, None).items
    assert sorted(b.amount for b in stored) == sorted(amounts)
    closed = services().auctions.complete(buyer, auction_id)
    assert closed.winning_bid is not None
    assert closed.winning_bid.amount == max(amounts)
    assert closed.bid_count == 50


def test_an_auction_closes_once_however_many_closers_race(aws):
    buyer = account(Role.BUYER)
    sellers = [account(Role.SELLER) for _ in range(3)]
    auction_id = an_auction(buyer, duration=600)
    for seller, amount in zip(sellers, ["3.00", "9.00", "6.00"], strict=True):
        services().bids.place(seller, auction_id, Decimal(amount))
    auction = services().auctions.view(buyer, auction_id).auction
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: services().auctions.close(auction), range(8)))
    winners = {(r.status, r.winning_bid) for r in results}
    assert len(winners) == 1
    [(status, winner)] = winners
    assert status is AuctionStatus.COMPLETED and winner is not None and winner.amount == Decimal("9.00")
    with pytest.raises(AuctionClosed):
        services().bids.place(sellers[0], auction_id, Decimal("50.00"))


def test_bids_are_refused_below_reserve_and_when_not_higher_and_a_withdrawn_bid_can_be_replaced(aws):
    buyer, seller = account(Role.BUYER), account(Role.SELLER)
    auction_id = an_auction(buyer, duration=600, reserve_price=Decimal("5.00"))
    with pytest.raises(BidBelowReserve):
        services().bids.place(seller, auction_id, Decimal("4.99"))
    first = services().bids.place(seller, auction_id, Decimal("6.00"))
    with pytest.raises(BidNotHigher):
        services().bids.place(seller, auction_id, Decimal("6.00"))
    services().bids.withdraw(seller, first.id)
    replacement = services().bids.place(seller, auction_id, Decimal("5.50"))
    [live] = services().bids.list(seller, auction_id, 10, None).items
    assert live.id == replacement.id and live.status is BidStatus.ACTIVE


def test_one_auction_per_call(aws):
    buyer = account(Role.BUYER)
    call_id = a_call(buyer)
    services().auctions.open(buyer, NewAuction(call_id))
    with pytest.raises(AuctionExists):
        services().auctions.open(buyer, NewAuction(call_id))


def test_a_seller_over_the_hourly_bid_limit_is_suspected_of_fraud(aws, monkeypatch):
    buyer, seller = account(Role.BUYER), account(Role.SELLER)
    limited = type(services().bids)(services().bids._auctions, services().bids._clock, services().bids._ids, 3)
    auction_ids = [an_auction(buyer, duration=600) for _ in range(4)]
    for auction_id in auction_ids[:3]:
        limited.place(seller, auction_id, Decimal("1.00"))
    with pytest.raises(FraudSuspected):
        limited.place(seller, auction_ids[3], Decimal("1.00"))


def test_of_ten_concurrent_routes_exactly_one_succeeds(aws):
    buyer, seller = account(Role.BUYER), account(Role.SELLER)
    call_id = a_call(buyer)
    auction_id = services().auctions.open(buyer, NewAuction(call_id, duration=600)).id
    services().bids.place(seller, auction_id, Decimal("10.00"))

    def route(_: int) -> str:
        try:
            services().calls.route(buyer, call_id)
            return "routed"
        except InvalidState:
            return "refused"

    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(route, range(10)))
    assert outcomes.count("routed") == 1


def test_routing_without_an_auction_or_bids_is_refused(aws):
    buyer = account(Role.BUYER)
    with pytest.raises(NoBidsAvailable):
        services().calls.route(buyer, a_call(buyer))
    auction_call = services().auctions.open(buyer, NewAuction(a_call(buyer), duration=600)).call_id
    with pytest.raises(NoBidsAvailable):
        services().calls.route(buyer, auction_call)


def test_completion_retried_ten_times_charges_once(aws):
    buyer, seller = account(Role.BUYER), account(Role.SELLER)
    call_id = a_call(buyer)
    auction_id = (
        services().auctions.open(buyer, NewAuction(call_id, duration=600, billing_model=BillingModel.PER_CALL)).id
    )
    services().bids.place(seller, auction_id, Decimal("30.00"))
    services().calls.route(buyer, call_id)
    services().calls.change_status(buyer, call_id, CallStatus.RINGING)
    services().calls.change_status(buyer, call_id, CallStatus.IN_PROGRESS)

    def complete(_: int) -> str:
        try:
            services().calls.complete(buyer, call_id, 45)
            return "completed"
        except InvalidState:
            return "refused"

    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(complete, range(10)))
    assert outcomes.count("completed") == 1
    assert services().accounts.get(buyer.account_id).balance == Decimal("970.00")
    assert services().accounts.get(seller.account_id).balance == Decimal("30.00")
    charges = [e for e in services().accounts.ledger(buyer.account_id, 10, None).items if e.type.value == "charge"]
    assert len(charges) == 1
