"""Request and response bodies for calls."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictInt, StringConstraints

from dce.api.schemas.common import PLAIN_TEXT, MoneyOut, Timestamp
from dce.domain.calls import DEFAULT_MAX_DURATION, MAX_DURATION_RANGE, Call, CallStatus

Keyword = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9 _.-]+$"), PLAIN_TEXT]
CallType = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[a-z0-9_-]+$"), PLAIN_TEXT]


class CreateCallIn(BaseModel):
    from_number: str = Field(min_length=1, max_length=32)
    to_number: str = Field(min_length=1, max_length=32)
    direction: Literal["inbound", "outbound"] = "outbound"
    call_type: CallType | None = None
    keywords: list[Keyword] | None = Field(default=None, max_length=20)
    max_duration: StrictInt = Field(
        default=DEFAULT_MAX_DURATION,
        ge=MAX_DURATION_RANGE[0],
        le=MAX_DURATION_RANGE[1],
        description="The most the call can be billed for, in seconds; routing holds the buyer's worst case over it",
    )


class CompleteCallIn(BaseModel):
    duration: StrictInt = Field(ge=0, le=86400, description="Seconds the call lasted")


class StatusIn(BaseModel):
    status: CallStatus


class CallOut(BaseModel):
    id: str
    from_number: str
    to_number: str
    direction: Literal["inbound", "outbound"]
    status: CallStatus
    buyer_id: str
    seller_id: str | None = None
    auction_id: str | None = None
    winning_bid_amount: MoneyOut | None = None
    call_type: str | None = None
    keywords: list[str] | None = None
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None
    duration: int | None = None
    max_duration: int
    billed_duration: int | None = Field(default=None, description="min(duration, max_duration): what was billed")
    cost: MoneyOut | None = None
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, call: Call) -> CallOut:
        return cls(
            id=call.id,
            from_number=call.from_number.e164,
            to_number=call.to_number.e164,
            direction=call.direction.value,
            status=call.status,
            buyer_id=call.buyer_id,
            seller_id=call.seller_id,
            auction_id=call.auction_id,
            winning_bid_amount=call.winning_bid_amount,
            call_type=call.call_type,
            keywords=list(call.keywords) if call.keywords else None,
            start_time=call.start_time,
            end_time=call.end_time,
            duration=call.duration,
            max_duration=call.max_duration,
            billed_duration=call.billed_duration,
            cost=call.cost,
            created_at=call.created_at,
            updated_at=call.updated_at,
        )
