"""Use cases for auctions: open (with its timer), read (sealed for sellers), list, and close.

Opening places no bid: the automatic bids of matching profiles are placed off the request path, by the
`autobids` function reading `auction.opened` from the auctions stream (dce.services.bid_profiles.AutoBids).

Closing has one code path, shared by the timer, `POST /auctions/{id}/complete` and routing:
flip open → completed (a conditional write, so bids stop), then record the winner once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, Protocol

from dce.domain.accounts import Role
from dce.domain.auctions import (
    RANKING_KEPT,
    Auction,
    AuctionStatus,
    Bid,
    BillingModel,
    check_duration,
    check_reserve,
    ranked_bids,
)
from dce.domain.calls import CallStatus
from dce.domain.errors import AuctionNotFound, CallNotFound, InvalidState, ValidationFailed
from dce.domain.pages import Page
from dce.domain.principal import Principal
from dce.ports import AuctionRepo, BusinessMetrics, CallRepo, Clock, IdGen, Uncounted


class AuctionTimer(Protocol):
    def start(self, auction_id: str, wait_seconds: int) -> None: ...


@dataclass(frozen=True, slots=True)
class NewAuction:
    call_id: str
    reserve_price: Decimal = Decimal("0.00")
    duration: int = 30
    billing_model: BillingModel = BillingModel.PER_MINUTE
    min_duration: int = 0


@dataclass(frozen=True, slots=True)
class AuctionView:
    """What a caller may see of an auction: buyers and admins all bids, sellers only their own."""

    auction: Auction
    bids: list[Bid]
    sealed: bool


@dataclass(frozen=True, slots=True)
class TimerTick:
    auction_id: str
    closed: bool
    wait_seconds: int


class AuctionService:
    def __init__(
        self,
        auctions: AuctionRepo,
        calls: CallRepo,
        timer: AuctionTimer,
        clock: Clock,
        ids: IdGen,
        metrics: BusinessMetrics | None = None,
    ) -> None:
        self._auctions, self._calls, self._timer, self._clock, self._ids = auctions, calls, timer, clock, ids
        self._metrics = metrics or Uncounted()

    def open(self, caller: Principal, new: NewAuction) -> Auction:
        reserve = check_reserve(new.reserve_price)
        duration = check_duration(new.duration)
        if not 0 <= new.min_duration <= 86400:
            raise ValidationFailed("Invalid min_duration: must be 0 to 86400 seconds")
        call = self._calls.get(new.call_id)
        if call is None or not (caller.is_admin or call.buyer_id == caller.account_id):
            raise CallNotFound()
        if call.status is not CallStatus.PENDING:
            raise InvalidState(f"An auction needs a pending call; this call is {call.status}")
        now = self._clock.now()
        auction = Auction(
            id=self._ids.new_id(),
            call_id=call.id,
            buyer_id=call.buyer_id,
            status=AuctionStatus.OPEN,
            reserve_price=reserve,
            billing_model=new.billing_model,
            min_duration=new.min_duration,
            started_at=now,
            ends_at=now + timedelta(seconds=duration),
        )
        self._auctions.create_for_call(auction)
        self._timer.start(auction.id, duration)
        return auction  # its automatic bids follow within seconds (the autobids stream consumer)

    def view(self, caller: Principal, auction_id: str) -> AuctionView:
        auction = self._auctions.get(auction_id)
        if auction is None:
            raise AuctionNotFound()
        if caller.is_admin or auction.buyer_id == caller.account_id:
            return AuctionView(auction, self._auctions.bids(auction_id), sealed=False)
        own = [b for b in self._auctions.bids(auction_id) if b.seller_id == caller.account_id]
        if caller.role is Role.SELLER and (auction.is_open or own):
            return AuctionView(auction, own, sealed=True)
        raise AuctionNotFound()  # someone else's auction: no existence leak

    def list_open(self, caller: Principal, limit: int, start: dict[str, Any] | None) -> Page[Auction]:
        page = self._auctions.list_open(limit, start)
        if caller.role is Role.BUYER:
            return Page([a for a in page.items if a.buyer_id == caller.account_id], page.next_key)
        return page

    def complete(self, caller: Principal, auction_id: str) -> Auction:
        auction = self._auctions.get(auction_id)
        if auction is None or not (caller.is_admin or auction.buyer_id == caller.account_id):
            raise AuctionNotFound()
        return self.close(auction)

    def close(self, auction: Auction, only_if_ended: bool = False) -> Auction:
        """The one closing path: idempotent, and the same result whoever gets here first."""
        if auction.status is AuctionStatus.OPEN:
            if self._auctions.mark_closed(auction.id, self._clock.now(), only_if_ended):
                self._metrics.auction_closed()  # the one conditional open → completed: counted once
            latest = self._auctions.get(auction.id)
            assert latest is not None
            auction = latest
        if auction.status is not AuctionStatus.COMPLETED or auction.settled:
            return auction
        bids = self._auctions.bids(auction.id)
        ranking = ranked_bids(bids, auction.reserve_price)
        settled = self._auctions.record_winner(auction, tuple(ranking[:RANKING_KEPT]), len(ranking))
        self._auctions.settle_bids(bids, settled.winning_bid)
        return settled

    def on_timer(self, auction_id: str) -> TimerTick:
        """The timer fired: close if the auction has ended, else say how long to wait (extended)."""
        auction = self._auctions.get(auction_id)
        if auction is None:
            return TimerTick(auction_id, closed=True, wait_seconds=0)
        if auction.is_open and auction.seconds_left(self._clock.now()) > 0:
            return TimerTick(auction_id, closed=False, wait_seconds=auction.seconds_left(self._clock.now()))
        closed = self.close(auction, only_if_ended=True)
        if closed.is_open:  # extended between the read and the close
            return TimerTick(auction_id, closed=False, wait_seconds=max(1, closed.seconds_left(self._clock.now())))
        return TimerTick(auction_id, closed=True, wait_seconds=0)
