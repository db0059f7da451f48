"""Real-time events on DynamoDB (moto server): the streams of calls, auctions and bids, read by the local
stream poller in Lambda's event shape, translated, recorded, and fanned out to the connections table."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from dce.adapters.auctions_repo import DynamoAuctionRepo
from dce.adapters.aws import table
from dce.adapters.bid_profiles_repo import DynamoBidProfileRepo
from dce.adapters.calls_repo import DynamoCallRepo
from dce.adapters.connections_api import ApiGatewayPusher
from dce.adapters.connections_repo import DynamoConnectionRepo
from dce.adapters.events_log import DynamoEventLog
from dce.adapters.push_queue import SqsPushQueue
from dce.adapters.queues import PUSHES
from dce.adapters.stream_records import STREAM_SOURCES
from dce.adapters.system import SystemClock
from dce.adapters.tables import CONNECTIONS, EVENTS
from dce.api.event_stream import handle_batch
from dce.api.push_batch import handle_messages
from dce.api.schemas.events import encode_event
from dce.bootstrap import _state_of, services
from dce.config import settings
from dce.domain.accounts import Role
from dce.domain.calls import CallStatus, Direction
from dce.domain.connections import Connection
from dce.domain.errors import BidNotHigher
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount
from dce.services.auctions import NewAuction
from dce.services.bid_profiles import ProfileInput
from dce.services.calls import NewCall
from dce.services.events import EventService
from dce.services.pushes import PushService
from local.lambda_runtime import load_handler
from local.queues import QueuePoller, wake_on_moto_sends
from local.streams import StreamPoller, wake_on_moto_writes

WAIT_S = 10.0


@dataclass
class RecordingPusher:
    """Stands in for `@connections`: remembers frames per connection; `gone` ones answer GoneException."""

    gone: set[str] = field(default_factory=set)
    frames: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def disconnect(self, connection_id: str) -> None:
        self.gone.add(connection_id)

    def push(self, connection_id: str, frame: bytes) -> bool:
        if connection_id in self.gone:
            return False
        with self.arrived:
            self.frames.setdefault(connection_id, []).append(json.loads(frame))
            self.arrived.notify_all()
        return True

    def types(self, connection_id: str) -> list[str]:
        return [str(f["type"]) for f in self.frames.get(connection_id, [])]

    def wait_for(self, connection_id: str, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Block until a matching frame has reached the connection (bounded)."""
        deadline = time.monotonic() + WAIT_S
        with self.arrived:
            while True:
                for frame in self.frames.get(connection_id, []):
                    if predicate(frame):
                        return frame
                left = deadline - time.monotonic()
                assert left > 0, f"no matching frame for {connection_id}; got {self.types(connection_id)}"
                self.arrived.wait(left)


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def account(role: Role) -> Principal:
    created, _ = services().accounts.create(
        NewAccount(
            email=f"{role}-{random.getrandbits(40)}@example.com", company_name="Acme", role=role, password="x" * 12
        )
    )
    return Principal(created.id, role)


def connect(principal: Principal, name: str) -> str:
    DynamoConnectionRepo().put(Connection.opened(name, principal.account_id, principal.role, SystemClock().now()))
    return name


@pytest.fixture
def pusher() -> RecordingPusher:
    return RecordingPusher()


@pytest.fixture
def publisher(aws: None) -> EventService:
    """The events function's service on moto, queueing to the real push queue."""
    return EventService(
        DynamoEventLog(),
        DynamoConnectionRepo(),
        SqsPushQueue(settings().pushes_queue_url, settings().region),
        (DynamoAuctionRepo(), DynamoCallRepo(), DynamoBidProfileRepo()),
        _state_of,
        encode_event,
    )


@pytest.fixture
def pushes(aws: None, pusher: RecordingPusher) -> Iterator[QueuePoller]:
    """The local queue poller, delivering the push queue's batches to the push function's logic in this process."""
    service = PushService(pusher, DynamoConnectionRepo(), SystemClock())
    deliver = lambda event: ("ok", handle_messages(event, service.deliver))  # noqa: E731
    poller = QueuePoller(PUSHES, settings().table_prefix, deliver, name="pushes", wake=wake_on_moto_sends())
    poller.start()
    yield poller
    poller.stop()


@pytest.fixture
def streams(publisher: EventService, pushes: QueuePoller) -> Iterator[StreamPoller]:
    """The local stream poller, delivering to the events function's logic in this process."""
    prefix = settings().table_prefix
    deliver = lambda event: ("ok", handle_batch(event, publisher.publish, prefix))  # noqa: E731
    poller = StreamPoller(STREAM_SOURCES, prefix, deliver, wake=wake_on_moto_writes())
    poller.start()
    yield poller
    poller.stop()


def test_the_marketplace_flow_reaches_exactly_the_entitled_connections(streams: StreamPoller, pusher: RecordingPusher):
    buyer, seller, other_seller, other_buyer = (account(r) for r in (Role.BUYER, Role.SELLER, Role.SELLER, Role.BUYER))
    admin = Principal("admin-1", Role.ADMIN)
    matching = {"geography": {"countries": ["US"]}, "call_type": ["sales"]}
    services().bid_profiles.create(seller, ProfileInput(matching))
    services().bid_profiles.create(other_seller, ProfileInput({"call_type": ["support"]}))
    ids = {p: connect(p, f"conn-{n}") for n, p in enumerate((buyer, seller, other_seller, other_buyer, admin))}

    call = services().calls.create(buyer, NewCall("+14155551234", "+18005551234", Direction.INBOUND, "sales"))
    auction = services().auctions.open(buyer, NewAuction(call.id, duration=600))
    services().bids.place(seller, auction.id, Decimal("12.50"))
    services().auctions.complete(buyer, auction.id)
    services().calls.route(buyer, call.id)
    for status in (CallStatus.RINGING, CallStatus.IN_PROGRESS):
        services().calls.change_status(buyer, call.id, status)
    services().calls.complete(buyer, call.id, 120)

    pusher.wait_for(ids[buyer], lambda f: f["type"] == "call.completed")
    won = pusher.wait_for(ids[seller], lambda f: f["type"] == "auction.closed")
    pusher.wait_for(ids[seller], lambda f: f["type"] == "call.completed")
    buyer_closed = pusher.wait_for(ids[buyer], lambda f: f["type"] == "auction.closed")
    call_steps = ["call.routed", "call.status_changed", "call.status_changed", "call.completed"]
    assert sorted(pusher.types(ids[buyer])) == sorted(
        ["call.created", "auction.opened", "bid.placed", "auction.closed", *call_steps]
    )
    assert sorted(pusher.types(ids[seller])) == sorted(["auction.opened", "bid.placed", "auction.closed", *call_steps])
    assert (won["data"]["outcome"], won["data"]["bid"]["amount"]) == ("won", 12.5)
    assert buyer_closed["data"]["auction"]["winning_bid"]["seller_id"] == seller.account_id
    assert ids[other_seller] not in pusher.frames and ids[other_buyer] not in pusher.frames
    for event_id in {f["id"] for f in pusher.frames[ids[buyer]] + pusher.frames[ids[seller]]}:
        pusher.wait_for(ids[admin], lambda f, i=event_id: f["id"] == i)  # connections are pushed to concurrently


def test_every_event_is_recorded_with_its_audience(streams: StreamPoller, pusher: RecordingPusher):
    buyer = account(Role.BUYER)
    watcher = connect(buyer, "conn-buyer")
    call = services().calls.create(buyer, NewCall("+14155551234", "+18005551234", Direction.INBOUND))
    frame = pusher.wait_for(watcher, lambda f: f["type"] == "call.created")
    item = table(EVENTS).get_item(Key={"id": frame["id"]})["Item"]
    assert (item["type"], item["accounts"], json.loads(item["frame"])) == ("call.created", [buyer.account_id], frame)
    assert frame["data"]["call"]["id"] == call.id
    assert int(item["expires_at_epoch"]) > time.time() + 6 * 24 * 3600


def test_a_redelivered_batch_rewrites_the_same_events(aws: None, publisher: EventService):
    captured: list[dict[str, Any]] = []
    prefix = settings().table_prefix
    poller = StreamPoller(
        STREAM_SOURCES, prefix, lambda event: (captured.append(event), ("ok", None))[1], interval=0.02
    )
    poller.start()
    try:
        services().calls.create(account(Role.BUYER), NewCall("+14155551234", "+18005551234", Direction.INBOUND))
        wait_until(lambda: bool(captured))
    finally:
        poller.stop()
    [batch] = captured
    for _ in range(2):
        assert handle_batch(batch, publisher.publish, prefix) == {"batchItemFailures": []}
    assert table(EVENTS).scan()["Count"] == 1


def test_connections_that_are_gone_are_deleted(streams: StreamPoller, pushes: QueuePoller, pusher: RecordingPusher):
    buyer = account(Role.BUYER)
    stale, live = connect(buyer, "conn-stale"), connect(buyer, "conn-live")
    pusher.gone.add(stale)
    services().calls.create(buyer, NewCall("+14155551234", "+18005551234", Direction.INBOUND))
    pusher.wait_for(live, lambda f: f["type"] == "call.created")
    wait_until(lambda: pushes.delivered >= 1)  # the whole push batch is done, not just the first push
    assert "Item" not in table(CONNECTIONS).get_item(Key={"id": stale})
    assert "Item" in table(CONNECTIONS).get_item(Key={"id": live})


def test_a_failing_batch_is_retried_from_the_failed_record(aws: None):
    attempts: list[list[str]] = []
    done = threading.Event()

    def flaky(event: dict[str, Any]) -> tuple[str, Any]:
        ids = [r["eventID"] for r in event["Records"]]
        attempts.append(ids)
        if len(attempts) == 1:
            return "error", "cold start failed"
        done.set()
        return "ok", {"batchItemFailures": []}

    poller = StreamPoller(STREAM_SOURCES, settings().table_prefix, flaky, interval=0.02)
    poller.start()
    try:
        services().calls.create(account(Role.BUYER), NewCall("+14155551234", "+18005551234", Direction.INBOUND))
        assert done.wait(WAIT_S)
    finally:
        poller.stop()
    assert len(attempts) == 2 and attempts[0] == attempts[1]
    assert poller.delivered == 1


def test_the_ws_function_registers_subscribes_and_forgets_connections(aws: None, lambda_context: Any):
    handler = load_handler("ws")
    buyer = account(Role.BUYER)
    token = services().tokens.access_token(buyer, SystemClock().now(), "jti-1")

    def event(route: str, **extra: Any) -> dict[str, Any]:
        return {"requestContext": {"routeKey": route, "connectionId": "conn-9", "requestId": "r"}, **extra}

    assert handler(event("$connect", queryStringParameters={"token": token}), lambda_context) == {"statusCode": 200}
    item = table(CONNECTIONS).get_item(Key={"id": "conn-9"})["Item"]
    assert (item["account_id"], item["role"]) == (buyer.account_id, "buyer")
    _, token_expires_at = services().tokens.verify_access_until(token)
    assert int(item["expires_at_epoch"]) == int(token_expires_at.timestamp())  # the record ends with the token
    reply = handler(event("$default", body='{"action": "subscribe", "topics": ["auction"]}'), lambda_context)
    assert json.loads(reply["body"]) == {"type": "subscribed", "topics": ["auction"]}
    assert DynamoConnectionRepo().for_accounts(frozenset({buyer.account_id}))[0].topics == ("auction",)
    assert handler(event("$disconnect"), lambda_context) == {"statusCode": 200}
    assert "Item" not in table(CONNECTIONS).get_item(Key={"id": "conn-9"})
    refused = handler(event("$connect", queryStringParameters={"token": token + "x"}), lambda_context)
    assert refused["statusCode"] == 401


def test_without_an_endpoint_the_pusher_records_but_never_fails():
    assert ApiGatewayPusher(None, "us-east-1").push("conn-1", b"{}") is True


def test_events_keep_flowing_after_a_refused_transaction(streams: StreamPoller, pusher: RecordingPusher):
    """moto rolls a cancelled transaction back with a copy of the table; the stream must survive it."""
    buyer, seller = account(Role.BUYER), account(Role.SELLER)
    watcher = connect(buyer, "conn-buyer")
    call = services().calls.create(buyer, NewCall("+14155551234", "+18005551234", Direction.INBOUND))
    auction = services().auctions.open(buyer, NewAuction(call.id, duration=600))
    services().bids.place(seller, auction.id, Decimal("5.00"))
    with pytest.raises(BidNotHigher):  # a cancelled TransactWriteItems on auctions, bids and counters
        services().bids.place(seller, auction.id, Decimal("5.00"))
    services().bids.place(seller, auction.id, Decimal("6.00"))
    placed = [
        pusher.wait_for(watcher, lambda f, a=amount: f["type"] == "bid.placed" and f["data"]["bid"]["amount"] == a)
        for amount in (5.0, 6.0)
    ]
    assert len({f["id"] for f in placed}) == 2
    assert pusher.types(watcher).count("bid.placed") == 2  # the refused bid left no stream record
