"""Use cases for bids: place (≤ 2 DynamoDB round trips), withdraw, list."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dce.domain.auctions import Bid, BidStatus, check_bid_amount
from dce.domain.errors import AuctionClosed, AuctionNotFound, BidBelowReserve, BidNotFound, Conflict, Forbidden
from dce.domain.pages import Page
from dce.domain.principal import Principal
from dce.ports import AuctionRepo, BusinessMetrics, Clock, IdGen, Uncounted
from dce.services.retry import backoff

RETRIES = 5


class BidService:
    def __init__(
        self,
        auctions: AuctionRepo,
        clock: Clock,
        ids: IdGen,
        bids_per_hour: int,
        metrics: BusinessMetrics | None = None,
    ) -> None:
        self._auctions, self._clock, self._ids, self._per_hour = auctions, clock, ids, bids_per_hour
        self._metrics = metrics or Uncounted()

    def place(self, seller: Principal, auction_id: str, amount: Decimal) -> Bid:
        amount = check_bid_amount(amount)
        for attempt in range(RETRIES):
            auction = self._auctions.get(auction_id)
            if auction is None:
                raise AuctionNotFound()
            if auction.buyer_id == seller.account_id:  # whatever its role: no one bids up its own call
                raise Forbidden("An account cannot bid on its own auction")
            now = self._clock.now()
            if not auction.accepts_bids_at(now):
                raise AuctionClosed()
            if amount < auction.reserve_price:
                raise BidBelowReserve()
            bid = Bid(self._ids.new_id(), auction_id, seller.account_id, amount, BidStatus.ACTIVE, now)
            window = now.strftime("%Y%m%d%H")
            try:
                self._auctions.place_bid(
                    bid, auction.ends_at_after_bid(now), now, f"bids#{seller.account_id}#{window}", self._per_hour
                )
            except Conflict:  # a concurrent transaction on the same auction: try again
                backoff(attempt)
                continue
            self._metrics.bid_placed()  # manual and automatic bids both come through here
            return bid
        raise Conflict()

    def withdraw(self, seller: Principal, bid_id: str) -> None:
        bid = self._auctions.find_bid(bid_id)
        if bid is None or not (seller.is_admin or bid.seller_id == seller.account_id):
            raise BidNotFound()
        self._auctions.withdraw(bid)

    def list(self, caller: Principal, auction_id: str | None, limit: int, start: dict[str, Any] | None) -> Page[Bid]:
        if auction_id is None:
            return self._auctions.bids_by_seller(caller.account_id, limit, start)
        auction = self._auctions.get(auction_id)
        if auction is None:
            raise AuctionNotFound()
        bids = self._auctions.bids(auction_id)
        if not caller.is_admin:
            bids = [b for b in bids if b.seller_id == caller.account_id]
        return Page(sorted(bids, key=lambda b: b.placed_at, reverse=True))
