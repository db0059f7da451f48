"""Which changes become which domain events, for whom: the pure translator and the connection rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from dce.domain.accounts import Role
from dce.domain.auctions import AuctionStatus, BidStatus, WinningBid
from dce.domain.calls import CallStatus
from dce.domain.connections import CONNECTION_LIFETIME, Connection
from dce.domain.events import Audience, Change, events_for, is_valid_topic, wanted
from tests.unit.events_support import BUYER, OTHER_SELLER, SELLER, T0, a_bid, a_call, an_auction


def change(old: object, new: object, change_id: str = "record-1") -> Change:
    return Change(change_id, old, new, T0 + timedelta(seconds=9))  # type: ignore[arg-type]


def only(events: list) -> tuple[str, Audience, dict]:  # type: ignore[type-arg]
    assert len(events) == 1, events
    return events[0].type, events[0].audience, dict(events[0].data)


def test_a_new_call_is_told_to_its_buyer_only():
    kind, audience, data = only(events_for(change(None, a_call())))
    assert (kind, audience) == ("call.created", Audience(frozenset({BUYER})))
    assert data["call"].id == "call-1"


def test_routing_is_told_to_the_buyer_and_the_winning_seller():
    routed = a_call(CallStatus.QUEUED, seller_id=SELLER, winning_bid_amount=Decimal("12.50"))
    kind, audience, _ = only(events_for(change(a_call(), routed)))
    assert (kind, audience.accounts) == ("call.routed", frozenset({BUYER, SELLER}))


def test_a_status_change_carries_the_previous_status():
    before = a_call(CallStatus.QUEUED, seller_id=SELLER)
    kind, audience, data = only(events_for(change(before, replace(before, status=CallStatus.RINGING))))
    assert (kind, data["previous_status"]) == ("call.status_changed", "queued")
    assert audience.accounts == frozenset({BUYER, SELLER})


def test_a_status_change_before_routing_goes_to_the_buyer_alone():
    kind, audience, _ = only(events_for(change(a_call(), a_call(CallStatus.CANCELED))))
    assert (kind, audience.accounts) == ("call.status_changed", frozenset({BUYER}))


def test_completion_is_its_own_event():
    before = a_call(CallStatus.IN_PROGRESS, seller_id=SELLER)
    done = replace(before, status=CallStatus.COMPLETED, duration=240, cost=Decimal("88.00"))
    kind, audience, data = only(events_for(change(before, done)))
    assert (kind, audience.accounts, data["call"].cost) == ("call.completed", frozenset({BUYER, SELLER}), Decimal("88"))


def test_a_call_claimed_by_its_auction_or_removed_tells_nobody():
    assert events_for(change(a_call(), a_call(auction_id="auction-1"))) == []
    assert events_for(change(a_call(), None)) == []


def test_an_opened_auction_goes_to_its_buyer_and_the_sellers_matching_its_call():
    kind, audience, data = only(events_for(change(None, an_auction())))
    assert kind == "auction.opened"
    assert audience == Audience(frozenset({BUYER}), sellers_matching_call="call-1")
    assert data["auction"].id == "auction-1"


def test_an_auction_closes_for_its_buyer_when_the_result_is_recorded():
    closed = an_auction(status=AuctionStatus.COMPLETED, closed_at=T0 + timedelta(seconds=31))
    assert events_for(change(an_auction(), closed)) == []  # open → completed: the winner is not known yet
    settled = replace(closed, settled=True, winning_bid=WinningBid("bid-1", SELLER, Decimal("12.50")))
    kind, audience, data = only(events_for(change(closed, settled)))
    assert (kind, audience.accounts) == ("auction.closed", frozenset({BUYER}))
    assert data["auction"].winning_bid.seller_id == SELLER
    assert events_for(change(settled, replace(settled, bid_count=3))) == []  # already settled


def test_bids_and_extensions_of_an_open_auction_tell_nothing_through_the_auction():
    assert events_for(change(an_auction(), an_auction(bid_count=1, ends_at=T0 + timedelta(seconds=45)))) == []


def test_a_placed_bid_goes_to_its_seller_and_the_auctions_buyer():
    kind, audience, data = only(events_for(change(None, a_bid())))
    assert kind == "bid.placed"
    assert audience == Audience(frozenset({SELLER}), buyer_of_auction="auction-1")
    assert data["bid"].amount == Decimal("12.50")


def test_a_replacing_bid_and_a_bid_after_withdrawal_are_placed_bids():
    assert only(events_for(change(a_bid(), a_bid("bid-2"))))[0] == "bid.placed"
    assert only(events_for(change(a_bid(status=BidStatus.WITHDRAWN), a_bid("bid-3"))))[0] == "bid.placed"


@pytest.mark.parametrize("outcome", [BidStatus.WON, BidStatus.LOST])
def test_each_bidder_is_told_whether_it_won_or_lost(outcome: BidStatus):
    kind, audience, data = only(events_for(change(a_bid(), a_bid(status=outcome))))
    assert (kind, audience.accounts, data["outcome"]) == ("auction.closed", frozenset({SELLER}), outcome.value)
    assert audience.buyer_of_auction is None  # the buyer's closing event comes from the auction itself


def test_withdrawals_and_identical_rewrites_tell_nobody():
    assert events_for(change(a_bid(), a_bid(status=BidStatus.WITHDRAWN))) == []
    assert events_for(change(a_bid(), a_bid())) == []  # moto reports a MODIFY for an identical re-put
    assert events_for(change(a_bid(status=BidStatus.LOST), a_bid(status=BidStatus.LOST))) == []


def test_event_ids_are_uuids_derived_from_the_change():
    first = events_for(change(None, a_call(), "record-1"))[0]
    again = events_for(change(None, a_call(), "record-1"))[0]
    other = events_for(change(None, a_call(), "record-2"))[0]
    assert first.id == again.id != other.id
    assert len(first.id) == 36 and first.id.count("-") == 4


def test_event_time_is_the_time_of_the_state_change():
    assert events_for(change(None, a_call()))[0].ts == T0
    assert events_for(change(None, a_bid()))[0].ts == T0 + timedelta(seconds=3)


@pytest.mark.parametrize("topic", ["call", "auction", "bid.placed", "call.completed", "auction.cl", "c"])
def test_topics_are_prefixes_of_event_types(topic: str):
    assert is_valid_topic(topic)


@pytest.mark.parametrize("topic", ["", "calls", "payment", "call.completed.extra", "*", "x" * 65])
def test_anything_else_is_not_a_topic(topic: str):
    assert not is_valid_topic(topic)


def test_topics_narrow_delivery_and_none_means_everything():
    assert wanted((), "bid.placed")
    assert wanted(("auction", "call.completed"), "auction.closed")
    assert wanted(("auction", "call.completed"), "call.completed")
    assert not wanted(("auction", "call.completed"), "call.created")
    assert not wanted(("auction",), "bid.placed")


def connection(role: Role = Role.BUYER, account: str = BUYER, topics: tuple[str, ...] = ()) -> Connection:
    return replace(Connection.opened("c-1", account, role, T0), topics=topics)


def test_a_connection_lives_two_hours():
    opened = connection()
    assert opened.expires_at - opened.connected_at == CONNECTION_LIFETIME == timedelta(hours=2)
    assert opened.is_live_at(T0 + timedelta(hours=1, minutes=59))
    assert not opened.is_live_at(T0 + timedelta(hours=2))


def test_a_connection_lives_no_longer_than_its_access_token():
    opened = Connection.opened("c-1", BUYER, Role.BUYER, T0, token_expires_at=T0 + timedelta(minutes=15))
    assert opened.is_live_at(T0 + timedelta(minutes=14, seconds=59))
    assert not opened.is_live_at(T0 + timedelta(minutes=15))
    long_token = Connection.opened("c-2", BUYER, Role.BUYER, T0, token_expires_at=T0 + timedelta(days=1))
    assert long_token.expires_at == T0 + CONNECTION_LIFETIME  # API Gateway's limit still holds


def test_a_consumer_never_receives_another_accounts_event():
    assert connection().receives("call.created", frozenset({BUYER}), T0)
    assert not connection().receives("call.created", frozenset({"buyer-2"}), T0)
    assert not connection(Role.SELLER, OTHER_SELLER).receives("bid.placed", frozenset({BUYER, SELLER}), T0)
    assert not connection().receives("call.created", frozenset(), T0)


def test_admins_receive_everything_they_subscribed_to():
    admin = connection(Role.ADMIN, "admin-1")
    assert admin.receives("bid.placed", frozenset({BUYER, SELLER}), T0)
    assert admin.receives("call.created", frozenset(), T0)
    assert not replace(admin, topics=("call",)).receives("bid.placed", frozenset(), T0)


def test_an_expired_connection_receives_nothing():
    assert not connection().receives("call.created", frozenset({BUYER}), T0 + timedelta(hours=3))
