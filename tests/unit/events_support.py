"""Builders and in-memory fakes for the events tests (calls, auctions, bids, connections, pushes)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from dce.domain.accounts import Role
from dce.domain.auctions import Auction, AuctionStatus, Bid, BidStatus, BillingModel
from dce.domain.bid_profiles import BidProfile
from dce.domain.calls import Call, CallStatus, Direction
from dce.domain.connections import Connection
from dce.domain.phone import PhoneNumber
from dce.services.events import Outgoing
from dce.services.pushes import Delivery, PushService

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BUYER, SELLER, OTHER_SELLER = "buyer-1", "seller-1", "seller-2"


def a_call(status: CallStatus = CallStatus.PENDING, **changes: object) -> Call:
    call = Call(
        id="call-1",
        buyer_id=BUYER,
        from_number=PhoneNumber("+14155551234", 1),
        to_number=PhoneNumber("+18005551234", 1),
        direction=Direction.INBOUND,
        status=status,
        created_at=T0,
        updated_at=T0,
    )
    return replace(call, **changes)  # type: ignore[arg-type]


def an_auction(**changes: object) -> Auction:
    auction = Auction(
        id="auction-1",
        call_id="call-1",
        buyer_id=BUYER,
        status=AuctionStatus.OPEN,
        reserve_price=Decimal("1.00"),
        billing_model=BillingModel.PER_MINUTE,
        min_duration=0,
        started_at=T0,
        ends_at=T0 + timedelta(seconds=30),
    )
    return replace(auction, **changes)  # type: ignore[arg-type]


def a_bid(bid_id: str = "bid-1", status: BidStatus = BidStatus.ACTIVE, seller: str = SELLER) -> Bid:
    return Bid(bid_id, "auction-1", seller, Decimal("12.50"), status, T0 + timedelta(seconds=3))


@dataclass
class FixedClock:
    at: datetime = T0

    def now(self) -> datetime:
        return self.at


@dataclass
class MemoryConnections:
    items: dict[str, Connection] = field(default_factory=dict)
    max_per_account: int = 100

    def add(self, connection_id: str, account: str, role: Role = Role.BUYER, topics: tuple[str, ...] = ()) -> None:
        self.items[connection_id] = replace(Connection.opened(connection_id, account, role, T0), topics=topics)

    def put(self, connection: Connection) -> None:
        self.items[connection.id] = connection

    def admit(self, connection: Connection) -> datetime | None:
        """Like the DynamoDB repo: at most `max_per_account` live connections per account."""
        live = [c for c in self.items.values() if c.account_id == connection.account_id]
        live = [c for c in live if c.is_live_at(connection.connected_at)]
        if len(live) >= self.max_per_account:
            return min(c.expires_at for c in live)
        self.items[connection.id] = connection
        return None

    def get(self, connection_id: str) -> Connection | None:
        return self.items.get(connection_id)

    def delete(self, connection_id: str) -> None:
        self.items.pop(connection_id, None)

    def set_topics(self, connection_id: str, topics: tuple[str, ...]) -> bool:
        if connection_id not in self.items:
            return False
        self.items[connection_id] = replace(self.items[connection_id], topics=topics)
        return True

    def for_accounts(self, account_ids: frozenset[str]) -> list[Connection]:
        return [c for c in self.items.values() if c.account_id in account_ids]

    def admins(self) -> list[Connection]:
        return [c for c in self.items.values() if c.role is Role.ADMIN]


@dataclass
class RecordingPusher:
    gone: set[str] = field(default_factory=set)
    frames: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    disconnected: list[str] = field(default_factory=list)

    def disconnect(self, connection_id: str) -> None:
        self.disconnected.append(connection_id)

    def push(self, connection_id: str, frame: bytes) -> bool:
        if connection_id in self.gone:
            return False
        self.frames.setdefault(connection_id, []).append(json.loads(frame))
        return True

    def types(self, connection_id: str) -> list[object]:
        return [f["type"] for f in self.frames.get(connection_id, [])]


@dataclass
class RecordingLog:
    recorded: list[Outgoing] = field(default_factory=list)

    def record(self, outgoing: list[Outgoing]) -> None:
        self.recorded += outgoing


@dataclass
class Lookups:
    auctions: dict[str, Auction] = field(default_factory=dict)
    calls: dict[str, Call] = field(default_factory=dict)
    profiles: list[BidProfile] = field(default_factory=list)

    def get(self, key: str) -> object:  # auctions and calls are read by id
        return self.auctions.get(key) or self.calls.get(key)

    def active(self) -> list[BidProfile]:
        return [p for p in self.profiles if p.active]


class DirectPushes:
    """A push queue that hands each batch's deliveries to the push service at once (the SQS queue itself is
    tested against moto: tests/integration/test_push_queue.py)."""

    def __init__(self, pushes: PushService) -> None:
        self.pushes = pushes
        self.batches: list[list[Delivery]] = []

    def enqueue(self, deliveries: list[Delivery]) -> None:
        self.batches.append(list(deliveries))
        self.pushes.deliver(deliveries)
