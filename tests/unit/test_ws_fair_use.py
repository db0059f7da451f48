"""Fair use of the WebSocket API with fakes at the ports: at most so many connections per account ($connect
→ 429), and a fan-out that delivers a batch concurrently, round-robin over accounts, so that one account's
many connections and frames (or a slow or gone connection) never hold back another account's first frame."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from dce.adapters.connections_api import MAX_POOL_CONNECTIONS, ApiGatewayPusher, PushTimedOut
from dce.api.schemas.events import encode_event
from dce.api.websocket import handle
from dce.domain.accounts import Role
from dce.domain.connections import Connection
from dce.domain.events import Change
from dce.domain.principal import Principal
from dce.services.connections import ConnectionService
from dce.services.events import EventService
from dce.services.pushes import PUSH_CONCURRENCY, Delivery, PushService, fair_order
from tests.unit.events_support import (
    BUYER,
    T0,
    DirectPushes,
    FixedClock,
    Lookups,
    MemoryConnections,
    RecordingLog,
    a_call,
)

RELEASE_WAIT_S = 10.0  # a safety net only: the tests assert on what happened, never on how long it took


@dataclass
class OrderedPusher:
    """Records every push in the order pushes happened (across workers); optional hooks block or fail."""

    gone: set[str] = field(default_factory=set)
    slow: set[str] = field(default_factory=set)  # their pushes raise, as the adapter does on a timeout
    hold: dict[str, threading.Event] = field(default_factory=dict)  # block these until the event is set
    released_by: dict[str, bool] = field(default_factory=dict)  # True: released by the event, not the timeout
    release_on: dict[str, threading.Event] = field(default_factory=dict)  # set these once this one is pushed
    order: list[tuple[str, str]] = field(default_factory=list)  # (connection id, frame id)
    disconnected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def push(self, connection_id: str, frame: bytes) -> bool:
        if connection_id in self.hold and connection_id not in self.released_by:
            self.released_by[connection_id] = self.hold[connection_id].wait(RELEASE_WAIT_S)
        if connection_id in self.gone:
            return False
        if connection_id in self.slow:
            raise PushTimedOut("ReadTimeoutError")
        with self.lock:
            self.order.append((connection_id, json.loads(frame)["id"]))
        if connection_id in self.release_on:
            self.release_on[connection_id].set()
        return True

    def disconnect(self, connection_id: str) -> None:
        self.disconnected.append(connection_id)

    def pushed_to(self, connection_id: str) -> list[str]:
        return [frame for connection, frame in self.order if connection == connection_id]

    def first_push_of(self, connection_id: str) -> int:
        return [connection for connection, _ in self.order].index(connection_id)


@dataclass
class CountingConnections(MemoryConnections):
    lookups: list[frozenset[str]] = field(default_factory=list)
    admin_lookups: int = 0
    deleted: list[str] = field(default_factory=list)

    def for_accounts(self, account_ids: frozenset[str]) -> list[Connection]:
        self.lookups.append(account_ids)
        return super().for_accounts(account_ids)

    def admins(self) -> list[Connection]:
        self.admin_lookups += 1
        return super().admins()

    def delete(self, connection_id: str) -> None:
        self.deleted.append(connection_id)
        super().delete(connection_id)


def service(
    connections: MemoryConnections, pusher: OrderedPusher, concurrency: int = 4, log: RecordingLog | None = None
) -> EventService:
    lookups = Lookups()
    return EventService(
        log or RecordingLog(),  # type: ignore[arg-type]
        connections,
        DirectPushes(PushService(pusher, connections, FixedClock(), concurrency)),
        (lookups, lookups, lookups),  # type: ignore[arg-type]
        lambda _: None,
        encode_event,
    )


def new_call(n: int, buyer: str = BUYER) -> Change:
    """A `call.created` for `buyer` (one frame per connection of that account, and per admin)."""
    return Change(f"r-{buyer}-{n}", None, a_call(id=f"call-{buyer}-{n}", buyer_id=buyer), T0)


def deliveries(*accounts_and_counts: tuple[str, int]) -> list[Delivery]:
    return [
        Delivery(Connection.opened(f"{account}-{n}", account, Role.BUYER, T0))
        for account, count in accounts_and_counts
        for n in range(count)
    ]


def test_tasks_start_round_robin_over_accounts_in_order_of_first_appearance() -> None:
    ordered = fair_order(deliveries(("noisy", 3), ("victim", 1), ("third", 2)))
    assert [d.connection.id for d in ordered] == ["noisy-0", "victim-0", "third-0", "noisy-1", "third-1", "noisy-2"]
    assert fair_order([]) == []


def test_a_slow_connection_of_a_noisy_account_does_not_hold_back_another_accounts_first_frame() -> None:
    """Two workers; the noisy account's first connection is stuck until the victim has its frame. The
    victim's connection starts second, so it gets its frame while the noisy account's others still wait."""
    connections = CountingConnections()
    for n in range(6):
        connections.add(f"noisy-{n}", "noisy")
    connections.add("victim-0", "victim")
    victim_pushed = threading.Event()
    pusher = OrderedPusher(hold={"noisy-0": victim_pushed}, release_on={"victim-0": victim_pushed})
    with service(connections, pusher, concurrency=2).batch() as batch:
        for n in range(20):
            batch.publish(new_call(n, "noisy"))
        batch.publish(new_call(0, "victim"))
    assert pusher.released_by == {"noisy-0": True}  # the victim's frame arrived while noisy-0 was stuck
    assert pusher.first_push_of("victim-0") < pusher.first_push_of("noisy-1")
    assert all(len(pusher.pushed_to(f"noisy-{n}")) == 20 for n in range(6))  # the noisy account loses nothing


def test_one_connection_with_many_frames_does_not_queue_ahead_of_another_accounts_first_frame() -> None:
    connections = CountingConnections()
    connections.add("busy", "noisy")
    connections.add("victim-0", "victim")
    victim_pushed = threading.Event()
    pusher = OrderedPusher(hold={"busy": victim_pushed}, release_on={"victim-0": victim_pushed})
    with service(connections, pusher, concurrency=2).batch() as batch:
        for n in range(100):
            batch.publish(new_call(n, "noisy"))
        batch.publish(new_call(0, "victim"))
    assert pusher.released_by == {"busy": True}
    assert pusher.order[0][0] == "victim-0"  # before any of the busy connection's 100 frames
    assert len(pusher.pushed_to("busy")) == 100


def test_each_connection_gets_its_frames_in_stream_order_while_connections_are_served_concurrently() -> None:
    connections = CountingConnections()
    for account in ("a", "b", "c"):
        for n in range(5):
            connections.add(f"{account}-{n}", account)
    connections.add("admin", "admin-1", Role.ADMIN)
    changes = [new_call(n, account) for n in range(10) for account in ("a", "b", "c")]
    pusher, log = OrderedPusher(), RecordingLog()
    with service(connections, pusher, concurrency=8, log=log).batch() as batch:
        for change in changes:
            batch.publish(change)
    assert pusher.pushed_to("admin") == [o.event.id for o in log.recorded]  # every event, in stream order
    for account in ("a", "b", "c"):
        own = [o.event.id for o in log.recorded if account in o.accounts]
        assert len(own) == 10
        assert all(pusher.pushed_to(f"{account}-{n}") == own for n in range(5))


def test_a_batch_looks_each_account_up_once_through_the_account_index_and_pushes_when_it_ends() -> None:
    connections = CountingConnections()
    connections.add("buyer-conn", BUYER)
    connections.add("other-conn", "buyer-2")
    pusher = OrderedPusher()
    with service(connections, pusher).batch() as batch:
        for n in range(10):
            assert batch.publish(new_call(n)) == 1
        batch.publish(new_call(0, "buyer-2"))
        assert pusher.order == []  # nothing is pushed before the batch is complete
    assert connections.lookups == [frozenset({BUYER}), frozenset({"buyer-2"})]  # by account, once each
    assert connections.admin_lookups == 1
    assert len(pusher.pushed_to("buyer-conn")) == 10 and len(pusher.pushed_to("other-conn")) == 1


def test_a_gone_connection_is_forgotten_once_and_gets_nothing_more_while_the_others_get_everything() -> None:
    connections = CountingConnections()
    connections.add("gone", BUYER)
    connections.add("live", BUYER)
    pusher = OrderedPusher(gone={"gone"})
    with service(connections, pusher).batch() as batch:
        for n in range(5):
            batch.publish(new_call(n))
    assert connections.deleted == ["gone"] and "gone" not in connections.items
    assert pusher.pushed_to("gone") == [] and len(pusher.pushed_to("live")) == 5


def test_a_slow_connection_is_skipped_for_the_rest_of_the_batch_and_kept() -> None:
    connections = CountingConnections()
    connections.add("slow", BUYER)
    connections.add("fine", BUYER)
    pusher = OrderedPusher(slow={"slow"})
    with service(connections, pusher).batch() as batch:
        for n in range(5):
            batch.publish(new_call(n))
    assert len(pusher.pushed_to("fine")) == 5
    assert connections.deleted == [] and "slow" in connections.items  # not gone: it may catch up next batch


def test_expired_connections_are_closed_and_forgotten_by_the_batch_without_any_frame() -> None:
    connections = CountingConnections()
    connections.put(Connection.opened("expired", BUYER, Role.BUYER, T0 - timedelta(hours=3)))
    connections.add("live", BUYER)
    pusher = OrderedPusher()
    with service(connections, pusher).batch() as batch:
        for n in range(3):
            batch.publish(new_call(n))
    assert pusher.disconnected == ["expired"] and connections.deleted == ["expired"]
    assert pusher.pushed_to("expired") == [] and len(pusher.pushed_to("live")) == 3


def test_a_record_that_fails_leaves_the_frames_of_the_records_before_it_to_be_delivered() -> None:
    class FailingFor(CountingConnections):
        def for_accounts(self, account_ids: frozenset[str]) -> list[Connection]:
            if "broken" in account_ids:
                raise RuntimeError("index unavailable")
            return super().for_accounts(account_ids)

    connections = FailingFor()
    connections.add("buyer-conn", BUYER)
    pusher = OrderedPusher()
    with service(connections, pusher).batch() as batch:
        batch.publish(new_call(0))
        with pytest.raises(RuntimeError):
            batch.publish(new_call(0, "broken"))  # handle_batch reports this record: Lambda retries from it
    assert len(pusher.pushed_to("buyer-conn")) == 1


def test_the_connections_client_keeps_an_http_connection_per_worker() -> None:
    assert MAX_POOL_CONNECTIONS >= PUSH_CONCURRENCY
    client = ApiGatewayPusher("http://127.0.0.1:9", "us-east-1")._connect()
    assert client.meta.config.max_pool_connections == MAX_POOL_CONNECTIONS


def test_a_push_that_times_out_raises_so_the_fan_out_skips_that_connection() -> None:
    pusher = ApiGatewayPusher("http://127.0.0.1:9", "us-east-1")
    client = pusher._connect()

    def timed_out(**_: Any) -> None:
        raise ReadTimeoutError(endpoint_url="http://127.0.0.1:9")

    client.post_to_connection = timed_out
    with pytest.raises(PushTimedOut):
        pusher.push("conn-1", b"{}")


TOKENS = {"buyer-token": Principal(BUYER, Role.BUYER), "admin-token": Principal("admin-1", Role.ADMIN)}


def verify(token: str) -> tuple[Principal, datetime]:
    return TOKENS[token], T0 + timedelta(minutes=15)


@pytest.mark.parametrize("token", ["buyer-token", "admin-token"])  # admins are capped too
def test_the_handshake_past_the_accounts_maximum_is_refused_with_429(token: str) -> None:
    store = MemoryConnections(max_per_account=3)
    connections = ConnectionService(store, verify, FixedClock(T0 + timedelta(minutes=1)))

    def connect(connection_id: str, with_token: str = token) -> dict[str, Any]:
        context = {"routeKey": "$connect", "connectionId": connection_id, "requestId": "r-1"}
        return handle({"requestContext": context, "queryStringParameters": {"token": with_token}}, connections)

    assert [connect(f"c-{n}")["statusCode"] for n in range(3)] == [200, 200, 200]
    refused = connect("c-3")
    assert refused["statusCode"] == 429 and "c-3" not in store.items
    assert json.loads(refused["body"])["error"]["code"] == "RATE_LIMITED"
    assert refused["headers"]["Retry-After"] == str(14 * 60)  # the earliest connection ends with its token
    other = "admin-token" if token == "buyer-token" else "buyer-token"
    assert connect("c-other", other)["statusCode"] == 200  # another account is not affected
    handle({"requestContext": {"routeKey": "$disconnect", "connectionId": "c-0"}}, connections)
    assert connect("c-4")["statusCode"] == 200  # a closed connection frees its place
