"""Request and response bodies for calls."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictInt, StringConstraints

from dce.api.schemas.common import MoneyOut, Timestamp
from dce.domain.calls import Call, CallStatus

Keyword = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9 _.-]+$")]


class CreateCallIn(BaseModel):
    from_number: str = Field(min_length=1, max_length=32)
    to_number: str = Field(min_length=1, max_length=32)
    direction: Literal["inbound", "outbound"] = "outbound"
    call_type: str | None = Field(default=None, min_length=1, max_length=50, pattern=r"^[a-z0-9_-]+$")
    keywords: list[Keyword] | None = Field(default=None, max_length=20)


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
            cost=call.cost,
            created_at=call.created_at,
            updated_at=call.updated_at,
        )
