"""Publishing events with fakes at the ports: audiences resolved, recorded, pushed only where entitled."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from dce.api.schemas.events import encode_event
from dce.domain.accounts import Role
from dce.domain.auctions import BidStatus
from dce.domain.bid_profiles import BidProfile, Criteria
from dce.domain.connections import Connection
from dce.domain.events import Change
from dce.services.events import EventService
from dce.services.pushes import PushService
from tests.unit.events_support import (
    BUYER,
    OTHER_SELLER,
    SELLER,
    T0,
    DirectPushes,
    FixedClock,
    Lookups,
    MemoryConnections,
    RecordingLog,
    RecordingPusher,
    a_bid,
    a_call,
    an_auction,
)


def profile(seller: str, criteria: Criteria, active: bool = True) -> BidProfile:
    return BidProfile(f"p-{seller}", seller, criteria, active, T0, T0)


def service(
    connections: MemoryConnections, pusher: RecordingPusher, log: RecordingLog, lookups: Lookups, at: datetime = T0
) -> EventService:
    pushes = DirectPushes(PushService(pusher, connections, FixedClock(at)))
    return EventService(log, connections, pushes, (lookups, lookups, lookups), lambda _: None, encode_event)  # type: ignore[arg-type]


def world() -> tuple[MemoryConnections, RecordingPusher, RecordingLog, Lookups]:
    connections = MemoryConnections()
    connections.add("buyer-conn", BUYER)
    connections.add("buyer-tab-2", BUYER)
    connections.add("seller-conn", SELLER, Role.SELLER)
    connections.add("other-seller-conn", OTHER_SELLER, Role.SELLER)
    connections.add("other-buyer-conn", "buyer-2")
    connections.add("admin-conn", "admin-1", Role.ADMIN)
    lookups = Lookups(auctions={"auction-1": an_auction()}, calls={"call-1": a_call(call_type="sales")})
    return connections, RecordingPusher(), RecordingLog(), lookups


def test_a_bid_reaches_the_auctions_buyer_on_every_tab_the_bidder_and_admins_only():
    connections, pusher, log, lookups = world()
    pushed = service(connections, pusher, log, lookups).publish(Change("r1", None, a_bid(), T0))
    assert pushed == 4
    assert set(pusher.frames) == {"buyer-conn", "buyer-tab-2", "seller-conn", "admin-conn"}
    [recorded] = log.recorded
    assert recorded.accounts == frozenset({BUYER, SELLER})


def test_an_opened_auction_reaches_sellers_whose_active_profiles_match_the_call():
    connections, pusher, log, lookups = world()
    lookups.profiles = [
        profile(SELLER, Criteria(countries=("US",), call_types=("sales",))),
        profile(OTHER_SELLER, Criteria(call_types=("support",))),
        profile("seller-3", Criteria(), active=False),
    ]
    connections.add("inactive-seller-conn", "seller-3", Role.SELLER)
    service(connections, pusher, log, lookups).publish(Change("r1", None, an_auction(), T0))
    assert set(pusher.frames) == {"buyer-conn", "buyer-tab-2", "seller-conn", "admin-conn"}
    assert pusher.types("seller-conn") == ["auction.opened"]


def test_each_bidder_hears_only_its_own_outcome():
    connections, pusher, log, lookups = world()
    publish = service(connections, pusher, log, lookups).publish
    publish(Change("r1", a_bid(), a_bid(status=BidStatus.WON), T0))
    publish(Change("r2", a_bid("bid-2", seller=OTHER_SELLER), a_bid("bid-2", BidStatus.LOST, OTHER_SELLER), T0))
    [won] = pusher.frames["seller-conn"]
    [lost] = pusher.frames["other-seller-conn"]
    assert (won["type"], won["data"]["outcome"]) == ("auction.closed", "won")  # type: ignore[index]
    assert (lost["type"], lost["data"]["outcome"]) == ("auction.closed", "lost")  # type: ignore[index]
    assert "buyer-conn" not in pusher.frames and "other-buyer-conn" not in pusher.frames
    assert len(pusher.frames["admin-conn"]) == 2


def test_a_gone_connection_is_deleted_and_the_others_still_receive():
    connections, pusher, log, lookups = world()
    pusher.gone = {"buyer-conn"}
    pushed = service(connections, pusher, log, lookups).publish(Change("r1", None, a_call(), T0))
    assert "buyer-conn" not in connections.items
    assert pushed == 3  # queued: the push function finds buyer-conn gone
    assert set(pusher.frames) == {"buyer-tab-2", "admin-conn"}


def test_subscriptions_narrow_what_a_connection_receives():
    connections, pusher, log, lookups = world()
    connections.set_topics("buyer-conn", ("auction",))
    publish = service(connections, pusher, log, lookups).publish
    publish(Change("r1", None, a_call(), T0))
    publish(Change("r2", None, an_auction(), T0))
    assert pusher.types("buyer-conn") == ["auction.opened"]
    assert pusher.types("buyer-tab-2") == ["call.created", "auction.opened"]


def test_expired_connections_receive_nothing_and_are_closed_when_an_event_would_reach_them():
    connections, pusher, log, lookups = world()
    service(connections, pusher, log, lookups, at=T0 + timedelta(hours=2, seconds=1)).publish(
        Change("r1", None, a_call(), T0)
    )
    assert pusher.frames == {}
    assert len(log.recorded) == 1  # still recorded
    addressed = {"buyer-conn", "buyer-tab-2", "admin-conn"}  # the call's buyer and the admins
    assert set(pusher.disconnected) == addressed and not addressed & set(connections.items)
    assert {"seller-conn", "other-seller-conn", "other-buyer-conn"} <= set(connections.items)  # untouched


def test_a_connection_ends_with_the_access_token_it_was_opened_with():
    connections, pusher, log, lookups = world()
    connections.put(Connection.opened("short-lived", BUYER, Role.BUYER, T0, T0 + timedelta(minutes=15)))
    service(connections, pusher, log, lookups, at=T0 + timedelta(minutes=14)).publish(Change("r1", None, a_call(), T0))
    assert pusher.types("short-lived") == ["call.created"]
    service(connections, pusher, log, lookups, at=T0 + timedelta(minutes=15)).publish(Change("r2", None, a_call(), T0))
    assert pusher.types("short-lived") == ["call.created"] and pusher.disconnected == ["short-lived"]
    assert pusher.types("buyer-conn") == ["call.created", "call.created"]  # opened with a longer-lived token


def test_a_change_without_events_records_and_pushes_nothing():
    connections, pusher, log, lookups = world()
    assert service(connections, pusher, log, lookups).publish(Change("r1", a_call(), a_call(), T0)) == 0
    assert log.recorded == [] and pusher.frames == {}


def test_frames_carry_id_type_time_and_the_resource_in_its_rest_shape():
    connections, pusher, log, lookups = world()
    call = a_call(call_type="sales", keywords=("auto",))
    service(connections, pusher, log, lookups).publish(Change("r1", None, call, T0))
    [frame] = pusher.frames["buyer-conn"]
    assert set(frame) == {"id", "type", "ts", "data"}
    assert frame["id"] == log.recorded[0].event.id and frame["ts"] == "2026-03-01T12:00:00.000000Z"
    data = frame["data"]
    assert data["call"]["id"] == "call-1" and data["call"]["from_number"] == "+14155551234"  # type: ignore[index]
    assert data["call"]["keywords"] == ["auto"] and data["call"]["seller_id"] is None  # type: ignore[index]


def test_money_is_a_json_number_and_a_sellers_outcome_reveals_no_other_bid():
    connections, pusher, log, lookups = world()
    service(connections, pusher, log, lookups).publish(Change("r1", a_bid(), a_bid(status=BidStatus.LOST), T0))
    [frame] = pusher.frames["seller-conn"]
    assert frame["data"] == {  # type: ignore[comparison-overlap]
        "auction_id": "auction-1",
        "outcome": "lost",
        "bid": {
            "id": "bid-1",
            "auction_id": "auction-1",
            "seller_id": SELLER,
            "amount": 12.5,
            "status": "lost",
            "placed_at": "2026-03-01T12:00:03.000000Z",
        },
    }
    assert Decimal(str(frame["data"]["bid"]["amount"])) == Decimal("12.50")  # type: ignore[index]
