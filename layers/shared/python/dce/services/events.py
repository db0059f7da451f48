"""Publishing domain events: record each one, then push it to every live connection entitled to it.

Runs in the events function, once per stream batch of the calls, auctions and bids tables (the DynamoDB
event source on AWS, the local stream poller on the dev stack). Redelivery is safe: event ids come from
the record, so the log rewrites the same items, and clients can drop a frame id seen before.

Fan-out is fair: a batch's records are recorded and addressed one by one (the connections of each audience
account found through the `by_account` index, once per batch), then every connection's frames go out
together on a bounded pool of workers. A connection's frames are sent in stream order by one task; tasks
start round-robin over accounts (each account's first connection, then each account's second, ...), so an
account with many connections and many events never queues ahead of another account's first frame, and a
slow or gone connection only holds its own worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from dce.domain.connections import Connection
from dce.domain.events import Audience, Change, DomainEvent, events_for
from dce.ports import AuctionRepo, BidProfileRepo, CallRepo, Clock
from dce.services.bid_profiles import StateOf, call_facts
from dce.services.connections import ConnectionRepo

logger = logging.getLogger(__name__)

# Connections posted to at once. The @connections client keeps at least this many HTTP connections
# (dce.adapters.connections_api.MAX_POOL_CONNECTIONS).
PUSH_CONCURRENCY = 16


@dataclass(frozen=True, slots=True)
class Outgoing:
    """An event with its resolved audience (account ids; admins implied) and its wire frame."""

    event: DomainEvent
    accounts: frozenset[str]
    frame: bytes


class EventLog(Protocol):
    def record(self, outgoing: Sequence[Outgoing]) -> None: ...


class Pusher(Protocol):
    def push(self, connection_id: str, frame: bytes) -> bool:
        """Send one frame; False when the connection is gone (closed or expired). TimeoutError when the frame
        was not taken in time: the connection's other frames of the batch are then skipped."""

    def disconnect(self, connection_id: str) -> None:
        """Close the connection (its client sees the socket close); already gone is fine."""


Encode = Callable[[DomainEvent], bytes]


@dataclass(slots=True)
class Delivery:
    """What one connection gets from a batch: its frames, in stream order."""

    connection: Connection
    frames: list[bytes] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Delivered:
    connection_id: str
    pushed: int
    forget: bool  # gone, or its time was up (closed): its record is deleted


class EventService:
    def __init__(
        self,
        log: EventLog,
        connections: ConnectionRepo,
        pusher: Pusher,
        lookups: tuple[AuctionRepo, CallRepo, BidProfileRepo],
        state_of: StateOf,
        encode: Encode,
        clock: Clock,
        concurrency: int = PUSH_CONCURRENCY,
    ) -> None:
        self._log, self._connections, self._pusher = log, connections, pusher
        self._auctions, self._calls, self._profiles = lookups
        self._state_of, self._encode, self._clock = state_of, encode, clock
        self._concurrency = max(1, concurrency)

    def publish(self, change: Change) -> int:
        """Record the change's events and fan them out now; returns how many frames were pushed."""
        batch = Batch(self, self._connections)
        batch.publish(change)
        return batch.deliver()

    @contextmanager
    def batch(self) -> Iterator[Batch]:
        """Publish a stream batch's changes through the batch (`batch.publish`): each is recorded at once,
        and every frame is delivered when the block ends — also when it raises, as what was recorded
        before the failure is not redelivered."""
        batch = Batch(self, self._connections)
        try:
            yield batch
        finally:
            batch.deliver()

    def audience_of(self, audience: Audience) -> frozenset[str]:
        """The account ids an audience names, with its lookups resolved."""
        accounts = set(audience.accounts)
        if audience.buyer_of_auction is not None:
            auction = self._auctions.get(audience.buyer_of_auction)
            if auction is not None:
                accounts.add(auction.buyer_id)
        if audience.sellers_matching_call is not None:
            call = self._calls.get(audience.sellers_matching_call)
            if call is not None:
                facts = call_facts(call, self._state_of)
                accounts |= {p.seller_id for p in self._profiles.active() if p.active and p.matches(facts)}
        return frozenset(accounts)

    def outgoing(self, change: Change) -> list[Outgoing]:
        """The change's events with their audiences and frames, recorded (before any push: a failed push
        never loses an event)."""
        events = events_for(change)
        if not events:
            return []
        outgoing = [Outgoing(e, self.audience_of(e.audience), self._encode(e)) for e in events]
        self._log.record(outgoing)
        return outgoing

    def deliver(self, deliveries: Sequence[Delivery]) -> list[Delivered]:
        """Send every connection its frames: one task per connection, started round-robin over accounts on
        at most `concurrency` workers; then forget the connections found gone or expired. Never raises."""
        if not deliveries:
            return []
        now = self._clock.now()
        ordered = fair_order(deliveries)
        workers = min(self._concurrency, len(ordered))
        if workers == 1:
            results = [self._send(d, now) for d in ordered]
        else:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="push") as pool:
                results = list(pool.map(lambda d: self._send(d, now), ordered))
        for result in results:
            if result.forget:
                self._forget(result.connection_id)
        return results

    def _send(self, delivery: Delivery, now: datetime) -> Delivered:
        """One connection's frames, in order; stops at the first that is not taken (gone, slow, failing)."""
        connection_id, pushed = delivery.connection.id, 0
        if not delivery.connection.is_live_at(now):  # its token (or API Gateway's 2 h) ran out: reconnect
            try:
                self._pusher.disconnect(connection_id)
            except Exception:  # the record goes either way; API Gateway ends every connection within 2 hours
                logger.exception("closing an expired connection failed")
            return Delivered(connection_id, 0, forget=True)
        try:
            for frame in delivery.frames:
                if not self._pusher.push(connection_id, frame):
                    return Delivered(connection_id, pushed, forget=True)  # GoneException: left without $disconnect
                pushed += 1
        except TimeoutError:  # a slow connection: each of its other frames would wait as long
            logger.warning("push to a connection timed out: its other frames of this batch are skipped")
        except Exception:  # a bug: logged; the other connections still get their frames
            logger.exception("push to a connection failed: its other frames of this batch are skipped")
        return Delivered(connection_id, pushed, forget=False)

    def _forget(self, connection_id: str) -> None:
        try:
            self._connections.delete(connection_id)
        except Exception:  # TTL removes it; the events are recorded and pushed: do not fail the batch
            logger.exception("forgetting a closed connection failed")


class Batch:
    """The deliveries of one stream batch, gathered record by record and sent together by `deliver`."""

    def __init__(self, service: EventService, connections: ConnectionRepo) -> None:
        self._service, self._connections = service, connections
        self._deliveries: dict[str, Delivery] = {}
        self._by_account: dict[str, list[Connection]] = {}
        self._admins: list[Connection] | None = None

    def publish(self, change: Change) -> int:
        """Record the change's events and address their frames (sent by `deliver`); returns how many frames
        are addressed. When this raises, nothing of the change is addressed (the record is retried)."""
        addressed: list[tuple[Connection, bytes]] = []
        for item in self._service.outgoing(change):
            addressed += ((c, item.frame) for c in self._candidates(item.accounts) if self._wants(c, item))
        for connection, frame in addressed:
            self._deliveries.setdefault(connection.id, Delivery(connection)).frames.append(frame)
        return len(addressed)

    def deliver(self) -> int:
        """Send what was addressed so far; returns how many frames were pushed."""
        deliveries, self._deliveries = list(self._deliveries.values()), {}
        return sum(d.pushed for d in self._service.deliver(deliveries))

    @staticmethod
    def _wants(connection: Connection, item: Outgoing) -> bool:
        return connection.is_addressed_by(item.event.type, item.accounts)

    def _candidates(self, accounts: frozenset[str]) -> list[Connection]:
        """The connections of these accounts and the admins', each account looked up once per batch (an
        index query per account, never a scan)."""
        missing = accounts - self._by_account.keys()
        if missing:
            found = self._connections.for_accounts(frozenset(missing))
            for account_id in missing:
                self._by_account[account_id] = []
            for connection in found:
                self._by_account.setdefault(connection.account_id, []).append(connection)
        if self._admins is None:
            self._admins = self._connections.admins()
        candidates = {c.id: c for account_id in sorted(accounts) for c in self._by_account[account_id]}
        candidates.update((c.id, c) for c in self._admins)
        return list(candidates.values())


def fair_order(deliveries: Iterable[Delivery]) -> list[Delivery]:
    """Round-robin over accounts in order of first appearance: every account's first connection, then
    every account's second, and so on (a connection's own frames stay together, in order)."""
    by_account: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        by_account.setdefault(delivery.connection.account_id, []).append(delivery)
    queues = list(by_account.values())
    return [queue[rank] for rank in range(max(map(len, queues), default=0)) for queue in queues if rank < len(queue)]
