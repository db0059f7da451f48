"""Business metrics: each event counted exactly once, whichever path produces it, retries included."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from dce import bootstrap
from dce.bootstrap import Services
from dce.domain.accounts import Role
from dce.domain.calls import CallStatus, Direction
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount
from dce.services.auctions import NewAuction
from dce.services.bid_profiles import ProfileInput
from dce.services.calls import NewCall
from tests.conftest import TEST_ENV, ApiResponse


class RecordingMetrics:
    """The BusinessMetrics port, recording what the services report (thread-safe: racers share it)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.charges: list[Decimal] = []
        self._lock = threading.Lock()

    def _count(self, name: str) -> None:
        with self._lock:
            self.counts[name] += 1

    def call_created(self) -> None:
        self._count("call_created")

    def bid_placed(self) -> None:
        self._count("bid_placed")

    def auction_closed(self) -> None:
        self._count("auction_closed")

    def call_billed(self, charge: Decimal) -> None:
        self._count("call_billed")
        with self._lock:
            self.charges.append(charge)


class MovableClock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def account(s: Services, role: Role) -> Principal:
    email = f"{role}-{random.getrandbits(40)}@example.com"
    created, _ = s.accounts.create(NewAccount(email, "Acme", role, password="x" * 12))
    return Principal(created.id, role)


def inbound_call(s: Services, buyer: Principal) -> str:
    # Inbound: screened for geography only, so the real clock's hour cannot trip the TCPA window.
    return s.calls.create(buyer, NewCall("+14155551234", "+18005551234", Direction.INBOUND)).id


@pytest.fixture
def counted(aws: None) -> tuple[Services, RecordingMetrics, MovableClock]:
    metrics, clock = RecordingMetrics(), MovableClock()
    return bootstrap.build(clock=clock, metrics=metrics), metrics, clock


def test_an_auction_closed_by_the_timer_is_counted_once_whatever_closes_it_again(counted):
    s, metrics, clock = counted
    buyer, seller = account(s, Role.BUYER), account(s, Role.SELLER)
    call_id = inbound_call(s, buyer)
    auction = s.auctions.open(buyer, NewAuction(call_id, duration=5))
    s.bids.place(seller, auction.id, Decimal("3.00"))
    assert s.auctions.on_timer(auction.id).closed is False  # not ended yet: nothing closed
    clock.offset = timedelta(seconds=60)
    assert s.auctions.on_timer(auction.id).closed is True
    s.calls.route(buyer, call_id)  # finds it settled
    s.auctions.complete(buyer, auction.id)
    s.auctions.on_timer(auction.id)  # a redelivered timer task
    assert metrics.counts == {"call_created": 1, "bid_placed": 1, "auction_closed": 1}


def test_an_auction_closed_by_routing_is_counted_once_and_the_timer_after_it_counts_nothing(counted):
    s, metrics, clock = counted
    buyer, seller = account(s, Role.BUYER), account(s, Role.SELLER)
    call_id = inbound_call(s, buyer)
    auction = s.auctions.open(buyer, NewAuction(call_id, duration=30))
    s.bids.place(seller, auction.id, Decimal("3.00"))
    assert s.calls.route(buyer, call_id).status is CallStatus.QUEUED
    clock.offset = timedelta(seconds=60)
    assert s.auctions.on_timer(auction.id).closed is True
    assert metrics.counts["auction_closed"] == 1


def test_racing_closers_count_the_auction_once(counted):
    s, metrics, _ = counted
    buyer = account(s, Role.BUYER)
    auction = s.auctions.open(buyer, NewAuction(inbound_call(s, buyer), duration=30))
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: s.auctions.complete(buyer, auction.id), range(6)))
    assert {r.status.value for r in results} == {"completed"}
    assert metrics.counts["auction_closed"] == 1


def test_automatic_and_manual_bids_are_both_counted(counted):
    s, metrics, _ = counted
    buyer, auto_seller, seller = account(s, Role.BUYER), account(s, Role.SELLER), account(s, Role.SELLER)
    s.bid_profiles.create(auto_seller, ProfileInput({}, auto_bid_amount=Decimal("2.00"), auto_bid_given=True))
    auction = s.auctions.open(buyer, NewAuction(inbound_call(s, buyer), duration=30))
    assert s.auto_bids.on_opened("auction-opened-1", auction).placed == 1  # the autobids function's work
    s.bids.place(seller, auction.id, Decimal("4.00"))
    assert metrics.counts["bid_placed"] == 2


def test_a_free_call_is_completed_but_not_billed(counted):
    s, metrics, _ = counted
    buyer, seller = account(s, Role.BUYER), account(s, Role.SELLER)
    call_id = inbound_call(s, buyer)
    auction = s.auctions.open(buyer, NewAuction(call_id, duration=30))
    s.bids.place(seller, auction.id, Decimal("3.00"))
    s.calls.route(buyer, call_id)
    for status in (CallStatus.RINGING, CallStatus.IN_PROGRESS):
        s.calls.change_status(buyer, call_id, status)
    assert s.calls.complete(buyer, call_id, 0).cost == Decimal("0")
    assert "call_billed" not in metrics.counts and metrics.charges == []


# Through the Lambda handlers: what reaches stdout as CloudWatch EMF.


def emf_values(stdout: str) -> dict[str, list[float]]:
    """Every metric value printed as an EMF document, by name; checks each document's shape on the way."""
    values: dict[str, list[float]] = {}
    for line in stdout.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        document = json.loads(line)
        [directive] = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == TEST_ENV["POWERTOOLS_METRICS_NAMESPACE"]
        for metric in directive["Metrics"]:
            if metric["Name"] == "ColdStart":  # Powertools' own, with a function_name dimension
                continue
            assert metric["Unit"] == "Count"
            assert directive["Dimensions"] == [["service"]] and document["service"] == "dce"
            value = document[metric["Name"]]
            values.setdefault(metric["Name"], []).extend(value if isinstance(value, list) else [value])
    return values


@pytest.fixture
def emf(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[[], dict[str, list[float]]]:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    capsys.readouterr()
    return lambda: emf_values(capsys.readouterr().out)


def test_a_billed_call_emits_calls_billed_and_its_revenue_once_though_completion_is_retried(
    call_api: Callable[..., ApiResponse], emf: Callable[[], dict[str, list[float]]]
):
    s = bootstrap.services()
    buyer, seller = account(s, Role.BUYER), account(s, Role.SELLER)
    created = call_api("POST", "/calls", _create_body(), as_=buyer, headers={"Idempotency-Key": "create-1"})
    assert created.status == 201
    call_id = created.body["id"]
    assert call_api("POST", "/auctions", {"call_id": call_id, "duration": 30}, as_=buyer).status == 201
    auction_id = s.calls.get(buyer, call_id).auction_id
    assert call_api("POST", "/bids", {"auction_id": auction_id, "amount": 22.00}, as_=seller).status == 201
    assert call_api("POST", f"/auctions/{auction_id}/complete", as_=buyer).status == 200
    assert call_api("POST", f"/calls/{call_id}/route", as_=buyer).status == 200
    for status in ("ringing", "in_progress"):
        assert call_api("PATCH", f"/calls/{call_id}/status", {"status": status}, as_=buyer).status == 200
    assert emf() == {"CallsCreated": [1], "BidsPlaced": [1], "AuctionsClosed": [1]}

    replayed = call_api("POST", "/calls", _create_body(), as_=buyer, headers={"Idempotency-Key": "create-1"})
    assert replayed.status == 201 and replayed.body["id"] == call_id  # the idempotent replay counts nothing
    complete: dict[str, Any] = {"duration": 240}  # 22.00 x 4 started minutes = 88.00
    first = call_api("POST", f"/calls/{call_id}/complete", complete, as_=buyer, headers={"Idempotency-Key": "done-1"})
    again = call_api("POST", f"/calls/{call_id}/complete", complete, as_=buyer, headers={"Idempotency-Key": "done-1"})
    other = call_api("POST", f"/calls/{call_id}/complete", complete, as_=buyer)
    assert (first.status, again.status, again.body, other.status) == (200, 200, first.body, 400)
    assert emf() == {"CallsBilled": [1], "RevenueCents": [8800]}


def _create_body() -> dict[str, str]:
    return {"from_number": "+14155551234", "to_number": "+18005551234", "direction": "inbound"}


def test_with_metrics_disabled_nothing_reaches_stdout(
    call_api: Callable[..., ApiResponse], capsys: pytest.CaptureFixture[str]
):
    buyer = account(bootstrap.services(), Role.BUYER)
    capsys.readouterr()
    for _ in range(3):
        assert call_api("POST", "/calls", _create_body(), as_=buyer).status == 201
    assert call_api("GET", "/calls", as_=buyer).status == 200
    assert '"_aws"' not in capsys.readouterr().out
