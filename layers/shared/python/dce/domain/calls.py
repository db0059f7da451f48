"""Calls and their status machine."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from dce.domain.errors import InvalidState
from dce.domain.phone import PhoneNumber


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


S = CallStatus
TRANSITIONS: dict[CallStatus, frozenset[CallStatus]] = {
    S.PENDING: frozenset({S.QUEUED, S.FAILED, S.CANCELED}),
    S.QUEUED: frozenset({S.RINGING, S.FAILED, S.CANCELED}),
    S.RINGING: frozenset({S.IN_PROGRESS, S.NO_ANSWER, S.BUSY, S.FAILED, S.CANCELED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.FAILED}),
    S.COMPLETED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELED: frozenset(),
    S.NO_ANSWER: frozenset(),
    S.BUSY: frozenset(),
}

# Transitions a client may request through PATCH /calls/{id}/status. `queued` is reached only by
# routing and `completed` only by POST /complete, because both carry money and a seller.
CLIENT_SETTABLE: frozenset[CallStatus] = frozenset(
    {S.RINGING, S.IN_PROGRESS, S.FAILED, S.CANCELED, S.NO_ANSWER, S.BUSY}
)


def check_transition(current: CallStatus, target: CallStatus) -> None:
    """Raise `InvalidState` naming the allowed next states unless current → target is allowed."""
    allowed = TRANSITIONS[current]
    if target not in allowed:
        options = ", ".join(sorted(allowed)) or "none (final state)"
        raise InvalidState(f"Cannot change call status from {current} to {target}; allowed: {options}")


@dataclass(frozen=True, slots=True)
class Call:
    """A phone call brought to the exchange by a buyer."""

    id: str
    buyer_id: str
    from_number: PhoneNumber
    to_number: PhoneNumber
    direction: Direction
    status: CallStatus
    created_at: datetime
    updated_at: datetime
    call_type: str | None = None
    keywords: tuple[str, ...] = field(default_factory=tuple)
    seller_id: str | None = None
    auction_id: str | None = None
    winning_bid_amount: Decimal | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    duration: int | None = None
    cost: Decimal | None = None
    billing_model: str | None = None  # copied from the auction when the call is routed
    min_duration: int | None = None

    def transitioned(self, target: CallStatus, now: datetime) -> Call:
        """Return this call moved to `target`, stamping start/end times; raise when not allowed."""
        check_transition(self.status, target)
        start = now if target is CallStatus.IN_PROGRESS else self.start_time
        terminal = not TRANSITIONS[target]
        end = now if terminal and self.end_time is None else self.end_time
        return replace(self, status=target, updated_at=now, start_time=start, end_time=end)

    def routed(self, seller_id: str, amount: Decimal, billing_model: str, min_duration: int, now: datetime) -> Call:
        """pending → queued, to the auction's winner."""
        moved = self.transitioned(CallStatus.QUEUED, now)
        return replace(
            moved,
            seller_id=seller_id,
            winning_bid_amount=amount,
            billing_model=billing_model,
            min_duration=min_duration,
        )

    def completed(self, duration: int, cost: Decimal, now: datetime) -> Call:
        """in_progress → completed, with what it cost."""
        return replace(self.transitioned(CallStatus.COMPLETED, now), duration=duration, cost=cost)

    def is_visible_to(self, account_id: str, is_admin: bool) -> bool:
        """Buyers see their own calls, sellers the calls routed to them, admins all."""
        return is_admin or account_id in (self.buyer_id, self.seller_id)
