"""Use cases for bid profiles (at most `cap` per seller), and the automatic bids they place when an auction
opens — off the request path: the `autobids` function runs `AutoBids.on_opened` for each `auction.opened`
it reads from the auctions stream (`dce.api.autobid_stream`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from dce.domain.accounts import Role
from dce.domain.auctions import Auction
from dce.domain.bid_profiles import BidProfile, CallFacts, Criteria, check_auto_bid
from dce.domain.calls import Call, Direction
from dce.domain.errors import (
    AuctionClosed,
    AuctionNotFound,
    BidNotHigher,
    BidProfileNotFound,
    Conflict,
    DomainError,
)
from dce.domain.principal import Principal
from dce.ports import BidProfileRepo, CallRepo, Clock, IdGen
from dce.services.bids import BidService

logger = logging.getLogger(__name__)
StateOf = Callable[[str], str | None]


class ProfileStore(BidProfileRepo, Protocol):
    def create(self, profile: BidProfile, cap: int) -> None:
        """Store a new profile if its seller holds fewer than `cap` (atomically); LimitExceeded otherwise."""

    def auto_bidders(self) -> list[BidProfile]:
        """The active profiles with an automatic bid amount."""


class AutoBidLog(Protocol):
    """Which `auction.opened` events have had their automatic bids placed (idempotency across replays)."""

    def done(self, event_id: str) -> bool: ...
    def record(self, event_id: str, placed: int, at: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class ProfileInput:
    criteria: dict[str, Any]
    active: bool | None = None
    auto_bid_amount: Decimal | None = None
    auto_bid_given: bool = False


def call_facts(call: Call, state_of: StateOf) -> CallFacts:
    """The consumer's side of the call: the caller for inbound calls, the called party for outbound."""
    import phonenumbers  # here: the bids function manages profiles and never needs a call's facts

    number = call.from_number if call.direction is Direction.INBOUND else call.to_number
    region = phonenumbers.region_code_for_country_code(number.country_code)
    return CallFacts(
        country=region if region != "ZZ" else None,
        state=state_of(number.e164),
        call_type=call.call_type,
        keywords=call.keywords,
    )


class BidProfileService:
    def __init__(self, repo: ProfileStore, clock: Clock, ids: IdGen, cap: int) -> None:
        self._repo, self._clock, self._ids, self._cap = repo, clock, ids, cap

    def create(self, seller: Principal, new: ProfileInput) -> BidProfile:
        """A new profile; 409 LIMIT_EXCEEDED when the seller already holds `cap` (deleting one frees a slot)."""
        now = self._clock.now()
        criteria = Criteria().merged({"max_budget": None, **new.criteria})
        profile = BidProfile(
            id=self._ids.new_id(),
            seller_id=seller.account_id,
            criteria=criteria,
            active=True if new.active is None else new.active,
            created_at=now,
            updated_at=now,
            auto_bid_amount=check_auto_bid(new.auto_bid_amount),
        )
        self._repo.create(profile, self._cap)
        return profile

    def list(self, seller: Principal) -> list[BidProfile]:
        return self._repo.for_seller(seller.account_id)

    def get(self, seller: Principal, profile_id: str) -> BidProfile:
        profile = self._repo.get(profile_id)
        if profile is None or not (seller.is_admin or profile.seller_id == seller.account_id):
            raise BidProfileNotFound()
        return profile

    def update(self, seller: Principal, profile_id: str, change: ProfileInput) -> BidProfile:
        """Partial update: criteria merge field by field (`{"criteria": {"max_budget": 200}}` keeps the rest)."""
        profile = self.get(seller, profile_id)
        updated = profile.updated(
            profile.criteria.merged(change.criteria),
            profile.active if change.active is None else change.active,
            check_auto_bid(change.auto_bid_amount) if change.auto_bid_given else profile.auto_bid_amount,
            self._clock.now(),
        )
        self._repo.put(updated)
        return updated

    def delete(self, seller: Principal, profile_id: str) -> None:
        profile = self.get(seller, profile_id)
        self._repo.delete(profile.id, profile.seller_id)


@dataclass(frozen=True, slots=True)
class AutoBid:
    seller_id: str
    amount: Decimal
    profile_id: str


def auto_bids_for(auction: Auction, facts: CallFacts, profiles: list[BidProfile]) -> list[AutoBid]:
    """The automatic bids an opening auction gets: per seller (never its buyer) the highest amount among its
    matching profiles, if it reaches the reserve — one bid per seller, however many of its profiles match
    (a seller has one live bid per auction: a lower one would be refused, a higher one replace it anyway).
    Highest first (ties: by seller id), so if the auction closes midway the best bids are in."""
    best: dict[str, AutoBid] = {}
    for profile in profiles:
        if profile.seller_id == auction.buyer_id:  # an account never bids on its own auction
            continue
        amount = profile.auto_bid_for(facts)
        if amount is None or amount < auction.reserve_price:
            continue
        current = best.get(profile.seller_id)
        if current is None or amount > current.amount:
            best[profile.seller_id] = AutoBid(profile.seller_id, amount, profile.id)
    return sorted(best.values(), key=lambda b: (-b.amount, b.seller_id))


@dataclass(frozen=True, slots=True)
class AutoBidOutcome:
    placed: int = 0
    already: int = 0  # a replay: the seller's live bid is already this high (its automatic bid, or higher)
    refused: int = 0  # the bid path said no for good (the seller's hourly limit, ...)
    skipped: int = 0  # never tried: the auction had closed (the bid path said AUCTION_CLOSED)
    replayed: bool = False  # the whole event was done before


class AutoBids:
    """Places the automatic bids of one opened auction through the normal bid path (`BidService.place`: the
    auction must still accept bids, the seller's hourly limit counts them, nobody bids on its own auction).
    Idempotent by event id: a finished event is recorded (`AutoBidLog`), and within an unfinished one a bid
    already placed comes back as BID_NOT_HIGHER, which counts as done. A closed auction is never retried."""

    def __init__(
        self,
        profiles: ProfileStore,
        calls: CallRepo,
        bids: BidService,
        log: AutoBidLog,
        state_of: StateOf,
        clock: Clock,
    ) -> None:
        self._profiles, self._calls, self._bids, self._log = profiles, calls, bids, log
        self._state_of, self._clock = state_of, clock

    def on_opened(self, event_id: str, auction: Auction) -> AutoBidOutcome:
        """Bid for every matching profile's seller; raises (so the record is retried) only on a transient
        failure — store errors, or CONFLICT after the bid path's own retries."""
        if self._log.done(event_id):
            return AutoBidOutcome(replayed=True)
        outcome = self._place_all(auction)
        self._log.record(event_id, outcome.placed, self._clock.now())
        logger.info(
            "automatic bids for auction %s: %d placed, %d already, %d refused, %d skipped",
            auction.id,
            outcome.placed,
            outcome.already,
            outcome.refused,
            outcome.skipped,
        )
        return outcome

    def _place_all(self, auction: Auction) -> AutoBidOutcome:
        call = self._calls.get(auction.call_id)
        if call is None:
            return AutoBidOutcome()
        wanted = auto_bids_for(auction, call_facts(call, self._state_of), self._profiles.auto_bidders())
        placed = already = refused = 0
        for index, bid in enumerate(wanted):
            try:
                self._bids.place(Principal(bid.seller_id, Role.SELLER), auction.id, bid.amount)
                placed += 1
            except BidNotHigher:
                already += 1
            except (AuctionClosed, AuctionNotFound):  # closed meanwhile: no later bid can get in either
                return AutoBidOutcome(placed, already, refused, skipped=len(wanted) - index)
            except Conflict:
                raise  # transient (the auction item is hot): retry the record; what is placed stays placed
            except DomainError as refusal:  # e.g. FRAUD_SUSPECTED: the seller's hourly bid limit
                refused += 1
                logger.info("automatic bid of profile %s refused: %s", bid.profile_id, refusal.code)
        return AutoBidOutcome(placed, already, refused)
