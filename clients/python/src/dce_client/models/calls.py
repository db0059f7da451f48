"""Calls and their status machine."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from dce_client.models._base import Model, Money


class CallStatus(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    RINGING = "ringing"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    NO_ANSWER = "no_answer"
    BUSY = "busy"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Call(Model):
    id: UUID
    from_number: str
    to_number: str
    direction: Direction
    status: CallStatus
    buyer_id: UUID
    seller_id: UUID | None = None
    auction_id: UUID | None = None
    winning_bid_amount: Money | None = None
    call_type: str | None = None
    keywords: list[str] | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    duration: int | None = None
    max_duration: int
    billed_duration: int | None = None
    cost: Money | None = None
    created_at: datetime
    updated_at: datetime
