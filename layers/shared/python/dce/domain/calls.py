"""Calls and their status machine."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from dce.domain.errors import InvalidState, ValidationFailed
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
    # Failover: a call the seller did not answer can be routed again, to the next eligible bid not tried yet.
    S.NO_ANSWER: frozenset({S.QUEUED}),
    S.BUSY: frozenset({S.QUEUED}),
}
# Statuses that end a routing attempt (and its hold, and the seller's concurrent slot); only no_answer and busy
# can be followed by another attempt.
ENDED = frozenset({S.COMPLETED, S.FAILED, S.CANCELED, S.NO_ANSWER, S.BUSY})
# Statuses from which POST /calls/{id}/route routes the call: the first route, and a failover.
ROUTABLE = frozenset({S.PENDING, S.NO_ANSWER, S.BUSY})

# The most a call can be billed for, in seconds (`max_duration` of POST /calls): routing holds the buyer's worst
# case over it, completion bills at most it.
MAX_DURATION_RANGE = (1, 14400)
DEFAULT_MAX_DURATION = 1800
# Statuses in which a routed call holds its buyer's money (its worst case): from routing until it ends.
HOLDING = frozenset({S.QUEUED, S.RINGING, S.IN_PROGRESS})


def check_max_duration(seconds: int) -> int:
    low, high = MAX_DURATION_RANGE
    if not low <= seconds <= high:
        raise ValidationFailed(f"Invalid max_duration: must be {low} to {high} seconds")
    return seconds


# Transitions a client may request through PATCH /calls/{id}/status. `queued` is reached only by
# routing and `completed` only by POST /complete, because both carry money and a seller.
CLIENT_SETTABLE: frozenset[CallStatus] = frozenset(
    {S.RINGING, S.IN_PROGRESS, S.FAILED, S.CANCELED, S.NO_ANSWER, S.BUSY}
)


# Where a client gets the statuses it may not PATCH.
SET_BY: dict[CallStatus, str] = {S.QUEUED: "POST /calls/{id}/route", S.COMPLETED: "POST /calls/{id}/complete"}


def allowed_next(current: CallStatus) -> str:
    """The next states of `current` for a message, in the machine's order, each reserved one with its endpoint:
    "queued (by POST /calls/{id}/route), failed, canceled"; "none: the call is finished" for a final state."""
    options = [f"{s} (by {SET_BY[s]})" if s in SET_BY else str(s) for s in CallStatus if s in TRANSITIONS[current]]
    return ", ".join(options) or "none: the call is finished"


def check_transition(current: CallStatus, target: CallStatus) -> None:
    """Raise `InvalidState` naming the allowed next states unless current → target is allowed."""
    if target not in TRANSITIONS[current]:
        raise InvalidState(f"Cannot change call status from {current} to {target}; allowed: {allowed_next(current)}")


def check_status_change(current: CallStatus, target: CallStatus) -> None:
    """PATCH /calls/{id}/status: a transition of the machine to a client-settable status, else `InvalidState`
    listing the allowed next states (and, for `queued` or `completed`, the endpoint that sets it)."""
    if target in TRANSITIONS[current] and target in CLIENT_SETTABLE:
        return
    reserved = f" ({target} is set by {SET_BY[target]})" if target in SET_BY else ""
    raise InvalidState(
        f"Cannot change call status from {current} to {target}{reserved}; allowed: {allowed_next(current)}"
    )


@dataclass(frozen=True, slots=True)
class Attempt:
    """One routing of a call to a seller: its bid, when it was routed, and how it ended (None while it lasts)."""

    seller_id: str
    amount: Decimal
    at: datetime
    outcome: CallStatus | None = None


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
    max_duration: int = DEFAULT_MAX_DURATION
    billed_duration: int | None = None  # min(duration, max_duration), set on completion
    # The buyer's money held for this call from routing until it ends (its worst-case cost). None for a call
    # never routed, and for calls routed before holds existed (they are billed without one).
    hold: Decimal | None = None
    # Every routing of the call, oldest first; the last is the current one (outcome None until it ends).
    attempts: tuple[Attempt, ...] = ()
    # Completed within the buyer's duplicate window of a billed call from the same caller to the same seller:
    # it cost nothing.
    duplicate: bool = False

    @property
    def open_hold(self) -> Decimal:
        """What this call holds of its buyer's money right now (0 once it has ended)."""
        return self.hold if self.hold is not None and self.status in HOLDING else Decimal("0.00")

    def transitioned(self, target: CallStatus, now: datetime) -> Call:
        """Return this call moved to `target`, stamping start/end times; raise when not allowed."""
        check_transition(self.status, target)
        start = now if target is CallStatus.IN_PROGRESS else self.start_time
        ends = target in ENDED
        end = now if ends and self.end_time is None else self.end_time
        attempts = self.attempts
        if ends and self.in_attempt:
            attempts = (*attempts[:-1], replace(attempts[-1], outcome=target))
        return replace(self, status=target, updated_at=now, start_time=start, end_time=end, attempts=attempts)

    @property
    def in_attempt(self) -> bool:
        """Whether the call is in a routing attempt that has not ended: it takes one of its seller's concurrent
        calls. (Calls routed before attempts were recorded have none and take no slot.)"""
        return bool(self.attempts) and self.attempts[-1].outcome is None and self.status in HOLDING

    @property
    def tried_sellers(self) -> frozenset[str]:
        return frozenset(attempt.seller_id for attempt in self.attempts)

    def routed(
        self, seller_id: str, amount: Decimal, billing_model: str, min_duration: int, hold: Decimal, now: datetime
    ) -> Call:
        """pending (or, failing over, no_answer | busy) → queued, to `seller_id` at its bid `amount`, holding `hold`
        of the buyer's money; a new attempt is recorded."""
        moved = self.transitioned(CallStatus.QUEUED, now)
        return replace(
            moved,
            seller_id=seller_id,
            winning_bid_amount=amount,
            billing_model=billing_model,
            min_duration=min_duration,
            hold=hold,
            start_time=None,
            end_time=None,
            attempts=(*self.attempts, Attempt(seller_id, amount, now)),
        )

    def completed(
        self, duration: int, billed_duration: int, cost: Decimal, now: datetime, duplicate: bool = False
    ) -> Call:
        """in_progress → completed, with the duration reported, the duration billed and what it cost (0 for a
        duplicate caller)."""
        return replace(
            self.transitioned(CallStatus.COMPLETED, now),
            duration=duration,
            billed_duration=billed_duration,
            cost=cost,
            duplicate=duplicate,
        )

    def is_visible_to(self, account_id: str, is_admin: bool) -> bool:
        """Buyers see their own calls, sellers the calls routed to them, admins all."""
        return is_admin or account_id in (self.buyer_id, self.seller_id)
