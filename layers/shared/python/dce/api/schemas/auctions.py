"""Request and response bodies for auctions and bids."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from dce.api.schemas.common import Id, Money, MoneyOut, Timestamp, UuidIn
from dce.domain.auctions import MAX_BID, MIN_BID, Auction, Bid
from dce.services.auctions import AuctionView


class CreateAuctionIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "call_id": "5b0c6f2e-8a61-4c1e-9a53-2f4d7c9e1b20",
                    "reserve_price": 2.50,
                    "duration": 30,
                    "billing_model": "per_call",
                    "min_duration": 90,
                }
            ]
        }
    )

    call_id: UuidIn
    # A negative reserve is refused as "Reserve price cannot be negative" (the contract's words: errors.py).
    reserve_price: Annotated[Decimal, Money(ge=Decimal("0.00"), le=MAX_BID)] = Field(default=0, validate_default=True)
    duration: StrictInt = Field(default=30, ge=1, le=3600)
    billing_model: Literal["per_minute", "per_call"] = "per_minute"
    min_duration: StrictInt = Field(default=0, ge=0, le=86400)


class PlaceBidIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"auction_id": "0e7f3a2c-41d9-4b8e-a6f5-93c1d2e4b7a8", "amount": 4.25}]}
    )

    auction_id: UuidIn
    amount: Annotated[Decimal, Money(ge=MIN_BID, le=MAX_BID)]


class BidOut(BaseModel):
    id: Id
    auction_id: Id
    seller_id: Id
    amount: MoneyOut
    status: Literal["active", "won", "lost", "withdrawn"]
    placed_at: Timestamp

    @classmethod
    def of(cls, bid: Bid) -> BidOut:
        return cls(
            id=bid.id,
            auction_id=bid.auction_id,
            seller_id=bid.seller_id,
            amount=bid.amount,
            status=bid.status.value,
            placed_at=bid.placed_at,
        )


class WinningBidOut(BaseModel):
    id: Id
    seller_id: Id
    amount: MoneyOut


class AuctionOut(BaseModel):
    id: Id
    call_id: Id
    buyer_id: Id
    status: Literal["open", "completed", "canceled"]
    reserve_price: MoneyOut
    billing_model: Literal["per_minute", "per_call"]
    min_duration: int
    started_at: Timestamp
    ends_at: Timestamp
    bid_count: int
    winning_bid: WinningBidOut | None = None
    bids: list[BidOut] | None = Field(default=None, description="All bids for the buyer; a seller's own bid only")

    @classmethod
    def of(cls, auction: Auction, bids: list[Bid] | None = None, sealed: bool = False) -> AuctionOut:
        winner = auction.winning_bid
        own_bid_ids = {b.id for b in bids or []}
        if winner is not None and sealed and winner.id not in own_bid_ids:
            winner = None  # sealed: a seller learns only whether it won
        return cls(
            id=auction.id,
            call_id=auction.call_id,
            buyer_id=auction.buyer_id,
            status=auction.status.value,
            reserve_price=auction.reserve_price,
            billing_model=auction.billing_model.value,
            min_duration=auction.min_duration,
            started_at=auction.started_at,
            ends_at=auction.ends_at,
            bid_count=auction.bid_count,
            winning_bid=WinningBidOut(id=winner.id, seller_id=winner.seller_id, amount=winner.amount)
            if winner
            else None,
            bids=[BidOut.of(b) for b in bids] if bids is not None else None,
        )

    @classmethod
    def view(cls, view: AuctionView) -> AuctionOut:
        return cls.of(view.auction, view.bids, view.sealed)
