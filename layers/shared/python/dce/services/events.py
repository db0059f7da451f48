"""Publishing domain events: record each one, then hand it to the push queue for every live connection entitled
to it.

Runs in the events function, once per stream batch of the calls, auctions and bids tables (the DynamoDB
event source on AWS, the local stream poller on the dev stack). Redelivery is safe: event ids come from
the record, so the log rewrites the same items, and clients can drop a frame id seen before.

A batch's records are addressed one by one (the connections of each audience account found through the
`by_account` index, once per batch); when the batch ends, its events are recorded in one batched write, then
every connection's frames go to the push queue
(`PushQueue`), which keeps each account's messages in a group of their own: the push function
(`dce.services.pushes`) sends them, and one account's event volume never holds back another account's delivery.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from dce.domain.connections import Connection
from dce.domain.events import Audience, Change, DomainEvent, events_for
from dce.ports import AuctionRepo, BidProfileRepo, CallRepo
from dce.services.bid_profiles import StateOf, call_facts
from dce.services.connections import ConnectionRepo
from dce.services.pushes import Delivery

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """An event with its resolved audience (account ids; admins implied) and its wire frame."""

    event: DomainEvent
    accounts: frozenset[str]
    frame: bytes


class EventLog(Protocol):
    def record(self, outgoing: Sequence[Outgoing]) -> None: ...


class PushQueue(Protocol):
    def enqueue(self, deliveries: Sequence[Delivery]) -> None:
        """Queue the deliveries for the push function, each account's in order and in a group of its own.
        Raises when they could not all be queued (the stream batch is then retried: nothing is lost)."""


Encode = Callable[[DomainEvent], bytes]


class EventService:
    def __init__(
        self,
        log: EventLog,
        connections: ConnectionRepo,
        queue: PushQueue,
        lookups: tuple[AuctionRepo, CallRepo, BidProfileRepo],
        state_of: StateOf,
        encode: Encode,
    ) -> None:
        self._log, self._connections, self._queue = log, connections, queue
        self._auctions, self._calls, self._profiles = lookups
        self._state_of, self._encode = state_of, encode

    def publish(self, change: Change) -> int:
        """Record the change's events and queue their frames now; returns how many frames were queued."""
        batch = Batch(self, self._connections)
        batch.publish(change)
        return batch.deliver()

    @contextmanager
    def batch(self) -> Iterator[Batch]:
        """Publish a stream batch's changes through the batch (`batch.publish`): each is recorded at once,
        and every frame is queued when the block ends — also when it raises, as what was recorded
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
        """The change's events with their audiences and frames (not recorded yet: `send` records them)."""
        return [Outgoing(e, self.audience_of(e.audience), self._encode(e)) for e in events_for(change)]

    def send(self, outgoing: Sequence[Outgoing], deliveries: Sequence[Delivery]) -> None:
        """Record the events (one batched write for a whole stream batch), then queue their frames: an event is
        in the log before any push, so a failed push never loses it."""
        if outgoing:
            self._log.record(outgoing)
        if deliveries:
            self._queue.enqueue(deliveries)


class Batch:
    """The deliveries of one stream batch, gathered record by record and sent together by `deliver`."""

    def __init__(self, service: EventService, connections: ConnectionRepo) -> None:
        self._service, self._connections = service, connections
        self._deliveries: dict[str, Delivery] = {}
        self._outgoing: list[Outgoing] = []
        self._by_account: dict[str, list[Connection]] = {}
        self._admins: list[Connection] | None = None

    def publish(self, change: Change) -> int:
        """Address the change's events (recorded and sent by `deliver`); returns how many frames are addressed.
        When this raises, nothing of the change is kept (the record is retried)."""
        addressed: list[tuple[Connection, bytes]] = []
        outgoing = self._service.outgoing(change)
        for item in outgoing:
            addressed += ((c, item.frame) for c in self._candidates(item.accounts) if self._wants(c, item))
        self._outgoing += outgoing
        for connection, frame in addressed:
            self._deliveries.setdefault(connection.id, Delivery(connection)).frames.append(frame)
        return len(addressed)

    def deliver(self) -> int:
        """Record what was published so far and queue its frames for the push function; returns how many
        frames were queued."""
        deliveries, self._deliveries = list(self._deliveries.values()), {}
        outgoing, self._outgoing = self._outgoing, []
        self._service.send(outgoing, deliveries)
        return sum(len(d.frames) for d in deliveries)

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
