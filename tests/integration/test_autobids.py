"""Automatic bids off the request path: the autobids function reads the auctions stream (new auctions only,
Lambda's filter emulated by the local poller), and places the matching profiles' bids through the bid path.
Idempotent on a replayed batch, never bids on a closed auction, one bid per seller however many profiles match."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from dce.adapters.aws import table
from dce.adapters.bid_profiles_repo import AUTO_BIDS_DONE_PREFIX
from dce.adapters.tables import AUCTIONS, COUNTERS
from dce.api.autobid_stream import handle_batch, opened_auctions
from dce.api.routes import AREAS
from dce.bootstrap import services
from dce.config import settings
from dce.domain.accounts import Role
from dce.domain.auctions import Auction, BidStatus
from dce.domain.calls import Direction
from dce.domain.errors import Conflict
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount
from dce.services.auctions import NewAuction
from dce.services.bid_profiles import ProfileInput
from dce.services.calls import NewCall
from local.lambda_runtime import load_handler
from local.streams import AUTOBIDS_AREA, StreamPoller, wake_on_moto_writes

WAIT_S = 10.0
_emails = iter(range(1_000_000))


def account(role: Role) -> Principal:
    created, _ = services().accounts.create(
        NewAccount(f"{role}-{next(_emails)}@example.com", "Acme", role, password="x" * 12)
    )
    return Principal(created.id, role)


def auto_profile(seller: Principal, amount: str, **criteria: Any) -> None:
    services().bid_profiles.create(seller, ProfileInput(criteria, auto_bid_amount=Decimal(amount), auto_bid_given=True))


def open_auction(buyer: Principal, duration: int = 600, reserve: str = "0.00", call_type: str | None = None) -> Auction:
    call = services().calls.create(
        buyer, NewCall("+14155551234", "+18005551234", Direction.INBOUND, call_type=call_type)
    )
    return services().auctions.open(buyer, NewAuction(call.id, Decimal(reserve), duration))


class Captured:
    """The batches the autobids poller hands over (instead of running the function)."""

    def __init__(self) -> None:
        self.batches: list[dict[str, Any]] = []
        self.arrived = threading.Condition()

    def deliver(self, event: dict[str, Any]) -> tuple[str, Any]:
        with self.arrived:
            self.batches.append(event)
            self.arrived.notify_all()
        return "ok", {"batchItemFailures": []}

    def records(self) -> list[dict[str, Any]]:
        return [record for batch in self.batches for record in batch["Records"]]

    def wait_for(self, count: int) -> list[dict[str, Any]]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.records()) >= count, WAIT_S), self.records()
        return self.records()


@pytest.fixture
def captured(aws: None) -> Iterator[Captured]:
    capture = Captured()
    poller = StreamPoller.for_area(AUTOBIDS_AREA, settings().table_prefix, capture.deliver, wake=wake_on_moto_writes())
    poller.start()
    yield capture
    poller.stop()


@pytest.fixture
def run_function(lambda_context: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    handler = load_handler("autobids")
    return lambda event: dict(handler(event, lambda_context))


def batch_of(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": records}


def test_the_autobids_area_reads_only_new_auctions() -> None:
    (area,) = [a for a in AREAS if a.name == AUTOBIDS_AREA]
    assert area.streams == (AUCTIONS,) and area.stream_event_names == ("INSERT",)
    assert not area.uses_jwt_secret


def test_only_new_auctions_reach_the_consumer(captured: Captured) -> None:
    buyer, seller = account(Role.BUYER), account(Role.SELLER)
    auction = open_auction(buyer)
    services().bids.place(seller, auction.id, Decimal("2.00"))  # a MODIFY of the auction: filtered out
    services().auctions.complete(buyer, auction.id)
    second = open_auction(buyer)
    records = captured.wait_for(2)
    assert [r["eventName"] for r in records] == ["INSERT", "INSERT"]
    opened = [opened_auctions(r, settings().table_prefix) for r in records]
    assert [[a.id for _, a in o] for o in opened] == [[auction.id], [second.id]]


def test_the_function_places_the_matching_bid_and_a_replayed_batch_places_none(
    captured: Captured, run_function: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    buyer, seller, other = account(Role.BUYER), account(Role.SELLER), account(Role.SELLER)
    auto_profile(seller, "7.50", call_type=["sales"])
    auto_profile(other, "9.00", call_type=["support"])  # does not match
    auction = open_auction(buyer, call_type="sales")
    assert auction.bid_count == 0  # nothing placed in the request
    batch = batch_of(captured.wait_for(1))
    assert run_function(batch) == {"batchItemFailures": []}
    [bid] = services().auctions.view(buyer, auction.id).bids
    assert (bid.seller_id, bid.amount, bid.status) == (seller.account_id, Decimal("7.50"), BidStatus.ACTIVE)
    assert run_function(batch) == {"batchItemFailures": []}  # replayed: recorded as done, nothing placed
    # Even after a withdrawal (the seller's bid is no longer live), a replay places no second bid.
    services().bids.withdraw(seller, bid.id)
    assert run_function(batch) == {"batchItemFailures": []}
    view = services().auctions.view(buyer, auction.id)
    assert view.auction.bid_count == 1 and [b.status for b in view.bids] == [BidStatus.WITHDRAWN]


def test_a_replay_of_an_unfinished_event_places_only_what_is_missing(
    captured: Captured, run_function: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    """The function died after some bids, before recording the event: the bids in come back BID_NOT_HIGHER."""
    buyer, first, second = account(Role.BUYER), account(Role.SELLER), account(Role.SELLER)
    auto_profile(first, "4.00")
    auction = open_auction(buyer)
    batch = batch_of(captured.wait_for(1))
    assert run_function(batch) == {"batchItemFailures": []}
    auto_profile(second, "3.00")  # appears between the attempts
    for item in table(COUNTERS).scan()["Items"]:  # forget that the event was done
        if str(item["key"]).startswith(AUTO_BIDS_DONE_PREFIX):
            table(COUNTERS).delete_item(Key={"key": item["key"]})
    assert run_function(batch) == {"batchItemFailures": []}
    view = services().auctions.view(buyer, auction.id)
    assert sorted(b.amount for b in view.bids) == [Decimal("3.00"), Decimal("4.00")]
    assert view.auction.bid_count == 2


def test_no_bid_on_an_auction_closed_before_the_consumer_ran_and_no_retry(
    captured: Captured, run_function: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    buyer, seller = account(Role.BUYER), account(Role.SELLER)
    auto_profile(seller, "5.00")
    auction = open_auction(buyer)
    batch = batch_of(captured.wait_for(1))
    closed = services().auctions.complete(buyer, auction.id)
    assert closed.winning_bid is None
    assert run_function(batch) == {"batchItemFailures": []}  # AUCTION_CLOSED is an outcome, not a failure
    view = services().auctions.view(buyer, auction.id)
    assert view.bids == [] and view.auction.bid_count == 0 and view.auction.winning_bid is None


def test_one_bid_per_seller_at_its_best_matching_amount_and_the_bid_limits_apply(
    captured: Captured, run_function: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    buyer = account(Role.BUYER)
    sellers = [account(Role.SELLER) for _ in range(3)]
    for number, seller in enumerate(sellers):
        for cents in range(10):
            auto_profile(seller, f"{number + 1}.{cents}0")
    auto_profile(sellers[0], "99.00", call_type=["never-this"])  # higher, but does not match
    limited = account(Role.SELLER)
    auto_profile(limited, "50.00")
    window = services().clock.now().strftime("%Y%m%d%H")
    table(COUNTERS).put_item(Item={"key": f"bids#{limited.account_id}#{window}", "n": settings().bids_per_hour})
    below_reserve = account(Role.SELLER)
    auto_profile(below_reserve, "0.50")
    auction = open_auction(buyer, reserve="1.00")
    assert run_function(batch_of(captured.wait_for(1))) == {"batchItemFailures": []}
    view = services().auctions.view(buyer, auction.id)
    by_seller = {b.seller_id: b.amount for b in view.bids}
    assert by_seller == {s.account_id: Decimal(f"{n + 1}.90") for n, s in enumerate(sellers)}
    assert view.auction.bid_count == 3  # one bid each, no replacements


def test_an_account_never_bids_on_its_own_auction(
    captured: Captured, run_function: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    admin = account(Role.ADMIN)  # admins may hold profiles and create calls
    services().accounts.credit(admin.account_id, Decimal("100.00"), "calls to auction")
    auto_profile(admin, "8.00")
    auction = open_auction(admin)
    assert run_function(batch_of(captured.wait_for(1))) == {"batchItemFailures": []}
    assert services().auctions.view(admin, auction.id).bids == []


def test_a_transient_failure_names_the_record_and_the_others_are_still_done(captured: Captured) -> None:
    buyer = account(Role.BUYER)
    first, second = open_auction(buyer), open_auction(buyer)
    records = captured.wait_for(2)
    seen: list[str] = []

    def on_opened(event_id: str, auction: Auction) -> None:
        seen.append(auction.id)
        if auction.id == first.id:
            raise Conflict()

    result = handle_batch(batch_of(records), None, on_opened, settings().table_prefix)
    assert result == {"batchItemFailures": [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]}
    assert seen == [first.id, second.id]


def test_a_stuck_events_consumer_never_holds_back_the_automatic_bids(aws: None) -> None:
    """Each consumer has its own poller (thread, shard iterators, wake-up): the fan-out stuck on a batch does
    not delay the automatic bids, and it still gets every record once it moves again."""
    prefix = settings().table_prefix
    release, events_seen = threading.Event(), threading.Event()

    def stuck(event: dict[str, Any]) -> tuple[str, Any]:
        events_seen.set()
        release.wait(WAIT_S)
        return "ok", {"batchItemFailures": []}

    capture = Captured()
    events = StreamPoller.for_area("events", prefix, stuck, wake=wake_on_moto_writes())
    autobids = StreamPoller.for_area(AUTOBIDS_AREA, prefix, capture.deliver, wake=wake_on_moto_writes())
    events.start()
    autobids.start()
    try:
        buyer = account(Role.BUYER)
        services().calls.create(buyer, NewCall("+14155551234", "+18005551234", Direction.INBOUND))
        assert events_seen.wait(WAIT_S)  # the fan-out is now stuck on that call.created...
        first, second = open_auction(buyer), open_auction(buyer)
        records = capture.wait_for(2)  # ...while the automatic bids get both openings
        assert [a.id for r in records for _, a in opened_auctions(r, prefix)] == [first.id, second.id]
        assert events.delivered == 0
        release.set()
    finally:
        release.set()
        events.stop()
        autobids.stop()
