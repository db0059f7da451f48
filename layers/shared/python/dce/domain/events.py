"""Domain events: what changed in the marketplace, and who is entitled to hear about it.

`events_for(change)` is pure. It reads one stored item's change (its state before and after, as domain
objects) and returns zero or more events, each with its audience. The audience names accounts; two
kinds of recipient need a lookup and are left to the events service: the buyer of an auction (a bid
does not carry it) and the sellers whose active bid profiles match a call. Admins hear everything.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from dce.domain.auctions import Auction, Bid, BidStatus
from dce.domain.calls import Call, CallStatus

CALL_CREATED = "call.created"
CALL_ROUTED = "call.routed"
CALL_STATUS_CHANGED = "call.status_changed"
CALL_COMPLETED = "call.completed"
AUCTION_OPENED = "auction.opened"
BID_PLACED = "bid.placed"
AUCTION_CLOSED = "auction.closed"
EVENT_TYPES: tuple[str, ...] = (
    CALL_CREATED,
    CALL_ROUTED,
    CALL_STATUS_CHANGED,
    CALL_COMPLETED,
    AUCTION_OPENED,
    BID_PLACED,
    AUCTION_CLOSED,
)
MAX_TOPIC_LENGTH = 64
# Event ids are UUIDs derived from the change that caused them, so a redelivered change yields the same ids.
_EVENT_NAMESPACE = uuid.UUID("6f1d3c1e-5b7a-4c53-9a52-0e3d7b3a9c11")

Entity = Call | Auction | Bid


@dataclass(frozen=True, slots=True)
class Change:
    """One stored item changed: `old` is None for a new item, `new` is None for a removed one."""

    id: str  # stable across redeliveries (the stream record's eventID)
    old: Entity | None
    new: Entity | None
    at: datetime  # when the change was written (approximately)


@dataclass(frozen=True, slots=True)
class Audience:
    """Who may see an event besides the admins: accounts by id, plus recipients the service resolves."""

    accounts: frozenset[str] = frozenset()
    buyer_of_auction: str | None = None  # the auction's buyer (bids do not carry it)
    sellers_matching_call: str | None = None  # sellers whose active bid profiles match this call


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """`data` holds domain objects (Call, Auction, Bid) and plain values; the API layer renders them."""

    id: str
    type: str
    ts: datetime
    data: Mapping[str, object]
    audience: Audience = field(default_factory=Audience)


def is_valid_topic(topic: str) -> bool:
    """A subscription topic is a prefix of at least one event type ("auction", "call.completed")."""
    return 0 < len(topic) <= MAX_TOPIC_LENGTH and any(kind.startswith(topic) for kind in EVENT_TYPES)


def wanted(topics: tuple[str, ...], event_type: str) -> bool:
    """No topics means everything; otherwise the type must start with one of them."""
    return not topics or any(event_type.startswith(topic) for topic in topics)


def events_for(change: Change) -> list[DomainEvent]:
    """The events one change describes (none for changes nobody is told about)."""
    subject = change.new if change.new is not None else change.old
    if isinstance(subject, Call):
        return _call_events(change, _as(change.old, Call), _as(change.new, Call))
    if isinstance(subject, Auction):
        return _auction_events(change, _as(change.old, Auction), _as(change.new, Auction))
    if isinstance(subject, Bid):
        return _bid_events(change, _as(change.old, Bid), _as(change.new, Bid))
    return []


def _as[T](value: object, kind: type[T]) -> T | None:
    return value if isinstance(value, kind) else None


def _event(
    change: Change, kind: str, ts: datetime, data: Mapping[str, object], audience: Audience, variant: str = ""
) -> DomainEvent:
    event_id = str(uuid.uuid5(_EVENT_NAMESPACE, f"{change.id}/{kind}/{variant}"))
    return DomainEvent(event_id, kind, ts, data, audience)


def _parties(call: Call) -> Audience:
    """A call's buyer, and its seller once it is routed (sellers see the calls routed to them)."""
    return Audience(frozenset(filter(None, (call.buyer_id, call.seller_id))))


def _call_events(change: Change, old: Call | None, new: Call | None) -> list[DomainEvent]:
    if new is None:
        return []
    if old is None:
        return [_event(change, CALL_CREATED, new.created_at, {"call": new}, _parties(new))]
    if old.status is new.status:
        return []  # e.g. the call was claimed by its auction: no status change to tell
    if new.status is CallStatus.QUEUED:
        return [_event(change, CALL_ROUTED, new.updated_at, {"call": new}, _parties(new))]
    if new.status is CallStatus.COMPLETED:
        return [_event(change, CALL_COMPLETED, new.updated_at, {"call": new}, _parties(new))]
    data = {"call": new, "previous_status": old.status.value}
    return [_event(change, CALL_STATUS_CHANGED, new.updated_at, data, _parties(new))]


def _auction_events(change: Change, old: Auction | None, new: Auction | None) -> list[DomainEvent]:
    if new is None:
        return []
    if old is None:
        audience = Audience(frozenset({new.buyer_id}), sellers_matching_call=new.call_id)
        return [_event(change, AUCTION_OPENED, new.started_at, {"auction": new}, audience)]
    if new.settled and not old.settled:  # the result is recorded once, by whichever closer got there first
        data = {"auction_id": new.id, "auction": new}
        return [_event(change, AUCTION_CLOSED, new.closed_at or change.at, data, Audience(frozenset({new.buyer_id})))]
    return []


def _bid_events(change: Change, old: Bid | None, new: Bid | None) -> list[DomainEvent]:
    if new is None:
        return []
    to_seller = frozenset({new.seller_id})
    if new.status is BidStatus.ACTIVE and (old is None or old.id != new.id):  # a new or replacing bid
        audience = Audience(to_seller, buyer_of_auction=new.auction_id)
        return [_event(change, BID_PLACED, new.placed_at, {"bid": new}, audience)]
    settled = new.status in (BidStatus.WON, BidStatus.LOST)
    if settled and old is not None and old.id == new.id and old.status is BidStatus.ACTIVE:
        data = {"auction_id": new.auction_id, "outcome": new.status.value, "bid": new}
        return [_event(change, AUCTION_CLOSED, change.at, data, Audience(to_seller), variant=new.seller_id)]
    return []
