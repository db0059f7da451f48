"""Request and response bodies for calls."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, WithJsonSchema

from dce.api.schemas.common import PLAIN_TEXT, Id, MoneyOut, Phone, Timestamp
from dce.domain.calls import DEFAULT_MAX_DURATION, MAX_DURATION_RANGE, Call, CallStatus

Keyword = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9 _.-]+$"), PLAIN_TEXT]
CallType = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[a-z0-9_-]+$"), PLAIN_TEXT]


class CreateCallIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"from_number": "+14155551234", "to_number": "+12125551234", "call_type": "insurance"},
                {"from_number": "+13105550100", "to_number": "+18005550199", "direction": "inbound"},
            ]
        }
    )

    from_number: Phone
    to_number: Phone
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
    model_config = ConfigDict(json_schema_extra={"examples": [{"duration": 185}]})

    duration: StrictInt = Field(ge=0, le=86400, description="Seconds the call lasted")


# The states a client reports; `queued` is set by routing and `completed` by completion (both carry a seller
# and money), `pending` by creation: asking for them here is 400 INVALID_STATE naming the right endpoint.
CLIENT_STATUSES = ("ringing", "in_progress", "failed", "canceled", "no_answer", "busy")


class StatusIn(BaseModel):
    """The next state must follow the status machine (pending → failed|canceled; queued →
    ringing|failed|canceled; ringing → in_progress|no_answer|busy|failed|canceled; in_progress → failed):
    anything else is 400 INVALID_STATE listing the allowed next states."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ringing"}]})

    status: Annotated[
        CallStatus,
        WithJsonSchema(
            {
                "type": "string",
                "enum": list(CLIENT_STATUSES),
                "description": "queued: POST /calls/{id}/route; completed: POST /calls/{id}/complete",
            }
        ),
    ]


class CallOut(BaseModel):
    id: Id
    from_number: str
    to_number: str
    direction: Literal["inbound", "outbound"]
    status: CallStatus
    buyer_id: Id
    seller_id: Id | None = None
    auction_id: Id | None = None
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
