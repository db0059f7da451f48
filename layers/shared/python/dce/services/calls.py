"""Use cases for calls: create, read, list and status changes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dce.domain.accounts import Account, LedgerEntry, LedgerType, Role
from dce.domain.auctions import BillingModel, call_cost
from dce.domain.calls import CLIENT_SETTABLE, Call, CallStatus, Direction
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
        account = self._accounts.get(caller.account_id)
        if account is None:
            raise AccountNotFound()
        if account.balance < 0:
            raise InsufficientFunds()
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
        if target not in CLIENT_SETTABLE:
            how = "POST /calls/{id}/route" if target is CallStatus.QUEUED else "POST /calls/{id}/complete"
            if target is CallStatus.PENDING:
                raise InvalidState("A call cannot be moved back to pending")
            raise InvalidState(f"Status {target} is set by {how}, not by a status update")
        for _ in range(RETRIES):
            call = self._owned(caller, call_id)
            updated = call.transitioned(target, self._clock.now())
            if self._calls.save_transition(updated, expected=call.status):
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
        routed = call.routed(
            winner.seller_id, winner.amount, auction.billing_model.value, auction.min_duration, self._clock.now()
        )
        if not self._calls.save_transition(routed, expected=CallStatus.PENDING):
            raise InvalidState("The call was routed concurrently")
        return routed

    def complete(self, caller: Principal, call_id: str, duration: int) -> Call:
        """in_progress → completed: the buyer pays and the seller is paid, atomically and once."""
        if not 0 <= duration <= MAX_CALL_SECONDS:
            raise ValidationFailed(f"Invalid duration: must be 0 to {MAX_CALL_SECONDS} seconds")
        for attempt in range(RETRIES + 5):
            call = self._owned(caller, call_id)
            if call.status is not CallStatus.IN_PROGRESS or call.seller_id is None:
                raise InvalidState(f"Only an in-progress call can be completed; this call is {call.status}")
            buyer, seller = self._account(call.buyer_id), self._account(call.seller_id)
            model = BillingModel(call.billing_model or BillingModel.PER_MINUTE.value)
            cost = call_cost(call.winning_bid_amount or Decimal("0"), duration, model, call.min_duration or 0)
            now = self._clock.now()
            charge = payout = None
            if cost > 0:
                charge = LedgerEntry(
                    self._ids.new_id(), buyer.id, LedgerType.CHARGE, -cost, buyer.balance - cost, now, call_id=call.id
                )
                payout = LedgerEntry(
                    self._ids.new_id(), seller.id, LedgerType.PAYOUT, cost, seller.balance + cost, now, call_id=call.id
                )
            completed = call.completed(duration, cost, now)
            try:
                self._billing.settle_call(completed, buyer, seller, charge, payout)
            except Conflict:  # a balance changed since we read it: read again
                backoff(attempt)
                continue
            if cost > 0:  # a free call (no ledger entries) is completed, not billed
                self._metrics.call_billed(cost)
            return completed
        raise Conflict()

    def _account(self, account_id: str) -> Account:
        account = self._accounts.get(account_id)
        if account is None:
            raise AccountNotFound()
        return account
