"""Request and response bodies for bid profiles."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints
from pydantic.config import JsonDict

from dce.api.schemas.common import PLAIN_TEXT, Id, Money, MoneyOut, Timestamp
from dce.domain.auctions import MAX_BID, MIN_BID
from dce.domain.bid_profiles import MAX_BUDGET, BidProfile

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
StateCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Word = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9 _.-]+$"), PLAIN_TEXT]


class GeographyIn(BaseModel):
    countries: list[CountryCode] | None = Field(default=None, max_length=250)
    states: list[StateCode] | None = Field(default=None, max_length=60)


class CriteriaIn(BaseModel):
    geography: GeographyIn | None = None
    call_type: list[Word] | None = Field(default=None, max_length=20)
    keywords: list[Word] | None = Field(default=None, max_length=50)
    max_budget: Annotated[Decimal, Money(ge=Decimal("0.00"), le=MAX_BUDGET)] | None = None

    def as_patch(self) -> dict[str, object]:
        """Only the fields the client sent (so PUT can merge)."""
        patch: dict[str, object] = self.model_dump(exclude_unset=True, exclude={"geography"})
        if self.geography is not None:
            patch["geography"] = self.geography.model_dump(exclude_unset=True)
        return patch


class AutoBidIn(BaseModel):
    amount: Annotated[Decimal, Money(ge=MIN_BID, le=MAX_BID)]


PROFILE_EXAMPLE: JsonDict = {
    "criteria": {
        "geography": {"countries": ["US"], "states": ["CA", "NY"]},
        "call_type": ["insurance"],
        "keywords": ["auto", "home quote"],
        "max_budget": 500.00,
    },
    "auto_bid": {"amount": 3.75},
    "active": True,
}


class CreateProfileIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [PROFILE_EXAMPLE]})

    criteria: CriteriaIn = Field(default_factory=CriteriaIn)
    auto_bid: AutoBidIn | None = None
    active: StrictBool = True


class UpdateProfileIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"criteria": {"max_budget": 200.00}}, {"active": False}]})

    criteria: CriteriaIn | None = None
    auto_bid: AutoBidIn | None = None
    active: StrictBool | None = None


class GeographyOut(BaseModel):
    countries: list[str]
    states: list[str]


class CriteriaOut(BaseModel):
    geography: GeographyOut
    call_type: list[str]
    keywords: list[str]
    max_budget: MoneyOut | None = None


class AutoBidOut(BaseModel):
    amount: MoneyOut


class BidProfileOut(BaseModel):
    id: Id
    seller_id: Id
    criteria: CriteriaOut
    auto_bid: AutoBidOut | None = None
    active: bool
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, p: BidProfile) -> BidProfileOut:
        c = p.criteria
        return cls(
            id=p.id,
            seller_id=p.seller_id,
            criteria=CriteriaOut(
                geography=GeographyOut(countries=list(c.countries), states=list(c.states)),
                call_type=list(c.call_types),
                keywords=list(c.keywords),
                max_budget=c.max_budget,
            ),
            auto_bid=AutoBidOut(amount=p.auto_bid_amount) if p.auto_bid_amount is not None else None,
            active=p.active,
            created_at=p.created_at,
            updated_at=p.updated_at,
        )
