"""Publishing domain events: record each one, then push it to every live connection entitled to it.

Runs in the events function, once per stream record of the calls, auctions and bids tables (the
DynamoDB event source on AWS, the local stream poller on the dev stack). Redelivery is safe: event ids
come from the record, so the log rewrites the same items, and clients can drop a frame id seen before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from dce.domain.connections import Connection
from dce.domain.events import Audience, Change, DomainEvent, events_for
from dce.ports import AuctionRepo, BidProfileRepo, CallRepo, Clock
from dce.services.bid_profiles import StateOf, call_facts
from dce.services.connections import ConnectionRepo


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
        """Send one frame; False when the connection is gone (closed or expired)."""

    def disconnect(self, connection_id: str) -> None:
        """Close the connection (its client sees the socket close); already gone is fine."""


Encode = Callable[[DomainEvent], bytes]


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
    ) -> None:
        self._log, self._connections, self._pusher = log, connections, pusher
        self._auctions, self._calls, self._profiles = lookups
        self._state_of, self._encode, self._clock = state_of, encode, clock

    def publish(self, change: Change) -> int:
        """Record the change's events and fan them out; returns how many frames were pushed."""
        events = events_for(change)
        if not events:
            return 0
        outgoing = [Outgoing(e, self.audience_of(e.audience), self._encode(e)) for e in events]
        self._log.record(outgoing)  # recorded first: a failed push never loses the event
        return sum(self._fan_out(item) for item in outgoing)

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

    def _fan_out(self, item: Outgoing) -> int:
        now = self._clock.now()
        candidates: dict[str, Connection] = {c.id: c for c in self._connections.for_accounts(item.accounts)}
        candidates.update((c.id, c) for c in self._connections.admins())
        pushed = 0
        for connection in candidates.values():
            if not connection.is_addressed_by(item.event.type, item.accounts):
                continue
            if not connection.is_live_at(now):  # its token (or API Gateway's 2 h) ran out: reconnect
                self._pusher.disconnect(connection.id)
                self._connections.delete(connection.id)
                continue
            if self._pusher.push(connection.id, item.frame):
                pushed += 1
            else:
                self._connections.delete(connection.id)  # GoneException: the client left without $disconnect
        return pushed
