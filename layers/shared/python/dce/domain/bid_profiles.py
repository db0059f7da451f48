"""Bid profiles: a seller's standing criteria for calls, and an optional automatic bid."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from dce.domain.auctions import check_bid_amount
from dce.domain.errors import ValidationFailed
from dce.domain.money import to_cents

MAX_BUDGET = Decimal("1000000.00")


@dataclass(frozen=True, slots=True)
class Criteria:
    """Empty lists mean "any"; `max_budget` caps the automatic bid."""

    countries: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    call_types: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    max_budget: Decimal | None = None

    def merged(self, patch: dict[str, Any]) -> Criteria:
        """A partial update: only the fields present in `patch` change (geography merges one level down);
        a list given as null is cleared, like an empty one ("any")."""
        geography = patch.get("geography") or {}
        return Criteria(
            countries=tuple(geography["countries"] or ()) if "countries" in geography else self.countries,
            states=tuple(geography["states"] or ()) if "states" in geography else self.states,
            call_types=tuple(patch["call_type"] or ()) if "call_type" in patch else self.call_types,
            keywords=tuple(patch["keywords"] or ()) if "keywords" in patch else self.keywords,
            max_budget=check_budget(patch["max_budget"]) if "max_budget" in patch else self.max_budget,
        )


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What a profile can match on, derived from the call (the consumer's number, type, keywords)."""

    country: str | None
    state: str | None
    call_type: str | None
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BidProfile:
    id: str
    seller_id: str
    criteria: Criteria
    active: bool
    created_at: datetime
    updated_at: datetime
    auto_bid_amount: Decimal | None = None

    def matches(self, facts: CallFacts) -> bool:
        c = self.criteria
        if c.countries and facts.country not in c.countries:
            return False
        if c.states and facts.state not in c.states:
            return False
        if c.call_types and facts.call_type not in c.call_types:
            return False
        wanted = {k.lower() for k in c.keywords}
        return not wanted or bool(wanted & {k.lower() for k in facts.keywords})

    def auto_bid_for(self, facts: CallFacts) -> Decimal | None:
        """The amount to bid automatically on a matching call, or None."""
        amount = self.auto_bid_amount
        if not self.active or amount is None or not self.matches(facts):
            return None
        if self.criteria.max_budget is not None and amount > self.criteria.max_budget:
            return None
        return amount

    def updated(self, criteria: Criteria, active: bool, auto_bid: Decimal | None, now: datetime) -> BidProfile:
        return replace(self, criteria=criteria, active=active, auto_bid_amount=auto_bid, updated_at=now)


def check_budget(value: Any) -> Decimal | None:
    if value is None:
        return None
    amount = to_cents(Decimal(str(value)))
    if not Decimal("0") <= amount <= MAX_BUDGET:
        raise ValidationFailed(f"Invalid max_budget: must be between 0 and {MAX_BUDGET}")
    return amount


def check_auto_bid(value: Decimal | None) -> Decimal | None:
    return None if value is None else check_bid_amount(value)
