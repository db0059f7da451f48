"""Auctions, bids and bid profiles."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import Field

from dce_client.models._base import Model, Money


class BillingModel(StrEnum):
    PER_MINUTE = "per_minute"
    PER_CALL = "per_call"


class AuctionStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELED = "canceled"


class BidStatus(StrEnum):
    ACTIVE = "active"
    WON = "won"
    LOST = "lost"
    WITHDRAWN = "withdrawn"


class Bid(Model):
    id: UUID
    auction_id: UUID
    seller_id: UUID
    amount: Money
    status: BidStatus
    placed_at: datetime


class WinningBid(Model):
    id: UUID
    seller_id: UUID
    amount: Money


class Auction(Model):
    id: UUID
    call_id: UUID
    buyer_id: UUID
    status: AuctionStatus
    reserve_price: Money
    billing_model: BillingModel
    min_duration: int
    started_at: datetime
    ends_at: datetime
    bid_count: int
    winning_bid: WinningBid | None = None
    bids: list[Bid] | None = None  # every bid for the buyer; a seller's own bid only (sealed)


class Geography(Model):
    countries: list[str] = Field(default_factory=list)
    states: list[str] = Field(default_factory=list)


class Criteria(Model):
    """What a bid profile matches. Every field is optional when creating or updating (PUT merges)."""

    geography: Geography = Field(default_factory=Geography)
    call_type: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    max_budget: Money | None = None


class AutoBid(Model):
    amount: Money


class BidProfile(Model):
    id: UUID
    seller_id: UUID
    criteria: Criteria
    auto_bid: AutoBid | None = None
    active: bool
    created_at: datetime
    updated_at: datetime
