"""Use cases for bid profiles, and the automatic bids they place when an auction opens."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dce.domain.accounts import Role
from dce.domain.auctions import Auction
from dce.domain.bid_profiles import BidProfile, CallFacts, Criteria, check_auto_bid
from dce.domain.calls import Call, Direction
from dce.domain.errors import BidProfileNotFound, DomainError
from dce.domain.principal import Principal
from dce.ports import BidProfileRepo, Clock, IdGen
from dce.services.bids import BidService

logger = logging.getLogger(__name__)
StateOf = Callable[[str], str | None]


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
    def __init__(self, repo: BidProfileRepo, bids: BidService, state_of: StateOf, clock: Clock, ids: IdGen) -> None:
        self._repo, self._bids, self._state_of, self._clock, self._ids = repo, bids, state_of, clock, ids

    def create(self, seller: Principal, new: ProfileInput) -> BidProfile:
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
        self._repo.put(profile)
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

    def auto_bid(self, auction: Auction, call: Call) -> int:
        """Bid for every active profile that matches the call; returns how many bids were placed.
        One seller's refusal (closed, over its limit, ...) never stops the others."""
        facts = call_facts(call, self._state_of)
        placed = 0
        for profile in self._repo.active():
            if profile.seller_id == auction.buyer_id:  # an account never bids on its own auction
                continue
            amount = profile.auto_bid_for(facts)
            if amount is None or amount < auction.reserve_price:
                continue
            try:
                self._bids.place(Principal(profile.seller_id, Role.SELLER), auction.id, amount)
                placed += 1
            except DomainError as refused:
                logger.info("auto-bid of profile %s refused: %s", profile.id, refused.code)
        return placed
