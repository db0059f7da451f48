"""Sealed-bid, first-price auctions: the rules for opening, bidding, closing and billing."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from dce.domain.errors import ValidationFailed
from dce.domain.money import to_cents

MIN_DURATION_S, MAX_DURATION_S, DEFAULT_DURATION_S = 1, 3600, 30
MIN_BID, MAX_BID = Decimal("0.01"), Decimal("1000.00")
SNIPING_WINDOW = timedelta(seconds=10)
SNIPING_EXTENSION = timedelta(seconds=15)


class AuctionStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELED = "canceled"


class BidStatus(StrEnum):
    ACTIVE = "active"
    WON = "won"
    LOST = "lost"
    WITHDRAWN = "withdrawn"


class BillingModel(StrEnum):
    PER_MINUTE = "per_minute"
    PER_CALL = "per_call"


def check_reserve(reserve: Decimal) -> Decimal:
    if reserve < 0:
        raise ValidationFailed("Reserve price cannot be negative")
    amount = to_cents(reserve)
    if amount > MAX_BID:
        raise ValidationFailed(f"Invalid reserve_price: at most {MAX_BID}")
    return amount


def check_duration(seconds: int) -> int:
    if not MIN_DURATION_S <= seconds <= MAX_DURATION_S:
        raise ValidationFailed(f"Invalid duration: must be {MIN_DURATION_S} to {MAX_DURATION_S} seconds")
    return seconds


def check_bid_amount(amount: Decimal) -> Decimal:
    value = to_cents(amount)
    if not MIN_BID <= value <= MAX_BID:
        raise ValidationFailed(f"Invalid amount: must be between {MIN_BID} and {MAX_BID}")
    return value


# The rank fits in 60 bits (two CPython int digits, so comparisons stay cheap): 17 bits of cents
# (≤ 1000.00) above 43 bits of milliseconds since 2025 (good for 278 years).
_TIME_BITS = 43
_EPOCH_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
_NEVER = -1


@dataclass(frozen=True, slots=True)
class Bid:
    id: str
    auction_id: str
    seller_id: str
    amount: Decimal
    status: BidStatus
    placed_at: datetime
    # One integer that orders bids for winning: higher amount first, then earlier placement.
    # Computed once, so choosing among 1,000 bids is a C-level max() over ints.
    rank: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.status is not BidStatus.ACTIVE:
            rank = _NEVER
        else:
            millis = min(max(0, int(self.placed_at.timestamp() * 1000) - _EPOCH_MS), (1 << _TIME_BITS) - 1)
            rank = (int(self.amount * 100) << _TIME_BITS) | ((1 << _TIME_BITS) - 1 - millis)
        object.__setattr__(self, "rank", rank)


@dataclass(frozen=True, slots=True)
class WinningBid:
    id: str
    seller_id: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Auction:
    id: str
    call_id: str
    buyer_id: str
    status: AuctionStatus
    reserve_price: Decimal
    billing_model: BillingModel
    min_duration: int
    started_at: datetime
    ends_at: datetime
    bid_count: int = 0
    winning_bid: WinningBid | None = None
    closed_at: datetime | None = None
    settled: bool = False  # the winner (or "no winner") has been recorded; set once
    # Recorded with the winner: the valid bids best first (the winner first), at most RANKING_KEPT of them, and
    # how many there were. Routing takes the best one whose seller can take the call (caps, hours), and a
    # failover the next. None for auctions settled before rankings were kept (routing reads their bids).
    ranking: tuple[WinningBid, ...] | None = None
    ranked: int = 0

    @property
    def is_open(self) -> bool:
        return self.status is AuctionStatus.OPEN

    def accepts_bids_at(self, now: datetime) -> bool:
        return self.status is AuctionStatus.OPEN and now < self.ends_at

    def ends_at_after_bid(self, now: datetime) -> datetime:
        """Anti-sniping: a bid in the last 10 s pushes the end to now + 15 s."""
        if self.ends_at - now <= SNIPING_WINDOW:
            return max(self.ends_at, now + SNIPING_EXTENSION)
        return self.ends_at

    def seconds_left(self, now: datetime) -> int:
        return max(0, math.ceil((self.ends_at - now).total_seconds()))


def outcome(bid: Bid, winner: WinningBid | None) -> BidStatus:
    """A bid's status once its auction is settled."""
    if bid.status is BidStatus.WITHDRAWN:
        return BidStatus.WITHDRAWN
    return BidStatus.WON if winner is not None and bid.id == winner.id else BidStatus.LOST


class BidBook:
    """An auction's bids with their ranks laid out as a plain list of ints, built once when the bids
    are loaded (already a pass over every bid), so choosing the winner is one C-level `max()`."""

    __slots__ = ("_ranks", "bids")

    def __init__(self, bids: Sequence[Bid]) -> None:
        self.bids = list(bids)
        self._ranks = [bid.rank for bid in self.bids]

    def winner(self, reserve: Decimal) -> Bid | None:
        """The highest active amount at or above the reserve; the earliest breaks ties (and, within the
        same millisecond, the first loaded)."""
        if not self._ranks:
            return None
        top = max(self._ranks)
        if top == _NEVER:
            return None
        best = self.bids[self._ranks.index(top)]
        return best if best.amount >= reserve else None

    def ranking(self, reserve: Decimal) -> list[Bid]:
        """Every active bid at or above the reserve, best first (the order `winner` picks by)."""
        order = sorted(range(len(self.bids)), key=lambda i: self._ranks[i], reverse=True)
        return [self.bids[i] for i in order if self._ranks[i] != _NEVER and self.bids[i].amount >= reserve]


# How many of an auction's ranked bids its item keeps (for routing past sellers at a cap, and failovers).
RANKING_KEPT = 50


def ranked_bids(bids: Sequence[Bid], reserve: Decimal) -> list[WinningBid]:
    """The valid bids of an auction best first, as routing candidates."""
    return [WinningBid(b.id, b.seller_id, b.amount) for b in BidBook(bids).ranking(reserve)]


def choose_winner(bids: Sequence[Bid], reserve: Decimal) -> Bid | None:
    """The winning bid among `bids` (see `BidBook.winner`)."""
    return BidBook(bids).winner(reserve)


def call_cost(bid_amount: Decimal, duration_s: int, model: BillingModel, min_duration: int) -> Decimal:
    """What the buyer pays (and the seller earns) for a finished call."""
    if model is BillingModel.PER_CALL:
        return to_cents(bid_amount) if duration_s >= min_duration else Decimal("0.00")
    minutes = math.ceil(duration_s / 60)
    return to_cents(bid_amount * minutes)
