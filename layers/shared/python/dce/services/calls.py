"""Use cases for calls: create, read, list and status changes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dce.domain.accounts import Account, Role
from dce.domain.auctions import BillingModel, call_cost
from dce.domain.billing import bill_call, billed_duration, place_hold, release_hold, worst_case_cost
from dce.domain.calls import (
    DEFAULT_MAX_DURATION,
    HOLDING,
    Call,
    CallStatus,
    Direction,
    check_max_duration,
    check_status_change,
)
from dce.domain.errors import (
    AccountNotFound,
    CallNotFound,
    Conflict,
    InsufficientFunds,
    InvalidState,
    NoBidsAvailable,
    ValidationFailed,
)
from dce.domain.pages import Page
from dce.domain.phone import PhoneNumber
from dce.domain.principal import Principal
from dce.ports import AccountRepo, AuctionRepo, BillingRepo, BusinessMetrics, CallRepo, Clock, IdGen, Uncounted
from dce.services.auctions import AuctionService
from dce.services.compliance import ComplianceService
from dce.services.retry import backoff

MAX_CALL_SECONDS = 86400

RETRIES = 3


@dataclass(frozen=True, slots=True)
class NewCall:
    from_number: str
    to_number: str
    direction: Direction = Direction.OUTBOUND
    call_type: str | None = None
    keywords: tuple[str, ...] = ()
    max_duration: int = DEFAULT_MAX_DURATION


class CallService:
    def __init__(
        self,
        calls: CallRepo,
        accounts: AccountRepo,
        auctions: AuctionRepo,
        auction_service: AuctionService,
        billing: BillingRepo,
        clock: Clock,
        ids: IdGen,
        compliance: ComplianceService,
        metrics: BusinessMetrics | None = None,
    ) -> None:
        self._calls, self._accounts, self._auctions = calls, accounts, auctions
        self._auction_service, self._billing, self._clock, self._ids = auction_service, billing, clock, ids
        self._compliance = compliance
        self._metrics = metrics or Uncounted()

    def create(self, caller: Principal, new: NewCall) -> Call:
        from_number = PhoneNumber.parse(new.from_number, "from number")
        to_number = PhoneNumber.parse(new.to_number, "to number")
        max_duration = check_max_duration(new.max_duration)
        account = self._accounts.get(caller.account_id)
        if account is None:
            raise AccountNotFound()
        if account.available <= 0:  # nothing left to hold for a route: refuse before anything is written
            raise InsufficientFunds("Insufficient funds: nothing is available (balance + credit limit - held)")
        # DNC, TCPA hours, geography and velocity, before anything about the call is written.
        self._compliance.screen(caller.account_id, new.direction, from_number, to_number)
        now = self._clock.now()
        call = Call(
            id=self._ids.new_id(),
            buyer_id=caller.account_id,
            from_number=from_number,
            to_number=to_number,
            direction=new.direction,
            status=CallStatus.PENDING,
            created_at=now,
            updated_at=now,
            call_type=new.call_type,
            keywords=new.keywords,
            max_duration=max_duration,
        )
        self._calls.put_new(call)
        self._metrics.call_created()
        return call

    def get(self, caller: Principal, call_id: str) -> Call:
        call = self._calls.get(call_id)
        if call is None or not call.is_visible_to(caller.account_id, caller.is_admin):
            raise CallNotFound()  # someone else's call is "not found": no existence leak
        return call

    def visible_to(self, caller: Principal, limit: int, start: dict[str, Any] | None) -> Page[Call]:
        if caller.role is Role.ADMIN:
            return self._calls.list_all(limit, start)
        if caller.role is Role.SELLER:
            return self._calls.list_for_seller(caller.account_id, limit, start)
        return self._calls.list_for_buyer(caller.account_id, limit, start)

    def change_status(self, caller: Principal, call_id: str, target: CallStatus) -> Call:
        """Move a call along the status machine; of concurrent changes only one wins."""
        for attempt in range(RETRIES + 5):
            call = self._owned(caller, call_id)
            check_status_change(call.status, target)  # client-settable only; the message lists the allowed ones
            updated = call.transitioned(target, self._clock.now())
            if updated.status in HOLDING or not call.open_hold:
                if self._calls.save_transition(updated, expected=call.status):
                    return updated
                continue
            # The call ends without a bill: its hold goes back to the buyer in the same transaction.
            try:
                release = release_hold(self._account(call.buyer_id), call.open_hold)
                self._billing.commit(updated, call.status, (release,), ())
            except InvalidState:
                continue  # another change of the call won: read it again
            except Conflict:  # the buyer's account changed since we read it
                backoff(attempt)
                continue
            return updated
        raise InvalidState("The call changed concurrently; read it again")

    def _owned(self, caller: Principal, call_id: str) -> Call:
        call = self._calls.get(call_id)
        if call is None or not (caller.is_admin or call.buyer_id == caller.account_id):
            raise CallNotFound()
        return call

    def route(self, caller: Principal, call_id: str) -> Call:
        """pending → queued to the auction's winner, closing the auction first if it is still open.
        Of concurrent routes exactly one succeeds (the write is conditional on `pending`)."""
        call = self._owned(caller, call_id)
        if call.status is not CallStatus.PENDING:
            raise InvalidState(f"Only a pending call can be routed; this call is {call.status}")
        auction = self._auctions.get(call.auction_id) if call.auction_id else None
        if auction is None:
            raise NoBidsAvailable("No bids available: the call has no auction")
        if not auction.settled:
            auction = self._auction_service.close(auction)
        winner = auction.winning_bid
        if winner is None:
            raise NoBidsAvailable()
        hold = worst_case_cost(winner.amount, auction.billing_model, call.max_duration)
        for attempt in range(RETRIES + 5):
            # The buyer's worst case is held in the same transaction that routes: 402 if it does not fit, and
            # then nothing changed (the call stays pending, routable after a top-up).
            move = place_hold(self._account(call.buyer_id), hold)
            routed = call.routed(
                winner.seller_id,
                winner.amount,
                auction.billing_model.value,
                auction.min_duration,
                hold,
                self._clock.now(),
            )
            try:
                self._billing.commit(routed, CallStatus.PENDING, (move,), ())
            except InvalidState as error:
                raise InvalidState("The call was routed concurrently") from error
            except Conflict:  # the buyer's balance or holds changed since we read them (another route, a credit)
                backoff(attempt)
                continue
            return routed
        raise Conflict()

    def complete(self, caller: Principal, call_id: str, duration: int) -> Call:
        """in_progress → completed: the buyer pays and the seller is paid, atomically and once."""
        if not 0 <= duration <= MAX_CALL_SECONDS:
            raise ValidationFailed(f"Invalid duration: must be 0 to {MAX_CALL_SECONDS} seconds")
        for attempt in range(RETRIES + 5):
            call = self._owned(caller, call_id)
            if call.status is not CallStatus.IN_PROGRESS or call.seller_id is None:
                raise InvalidState(f"Only an in-progress call can be completed; this call is {call.status}")
            buyer = self._account(call.buyer_id)
            seller = buyer if call.seller_id == buyer.id else self._account(call.seller_id)
            model = BillingModel(call.billing_model or BillingModel.PER_MINUTE.value)
            billed = billed_duration(duration, call.max_duration)
            cost = call_cost(call.winning_bid_amount or Decimal("0"), billed, model, call.min_duration or 0)
            now = self._clock.now()
            bill = bill_call(
                buyer,
                seller,
                cost=cost,
                hold=call.open_hold,
                call_id=call.id,
                entry_ids=(self._ids.new_id(), self._ids.new_id()),
                now=now,
            )
            completed = call.completed(duration, billed, bill.cost, now)
            try:
                self._billing.commit(completed, CallStatus.IN_PROGRESS, bill.moves, bill.entries)
            except InvalidState as error:
                raise InvalidState("Only an in-progress call can be completed; it changed concurrently") from error
            except Conflict:  # a balance changed since we read it: read again
                backoff(attempt)
                continue
            if bill.cost > 0:  # a free call (no ledger entries) is completed, not billed
                self._metrics.call_billed(bill.cost)
            return completed
        raise Conflict()

    def _account(self, account_id: str) -> Account:
        account = self._accounts.get(account_id)
        if account is None:
            raise AccountNotFound()
        return account
