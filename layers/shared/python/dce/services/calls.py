"""Use cases for calls: create, read, list and status changes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from dce.domain.accounts import Account, AccountStatus, Role
from dce.domain.auctions import Auction, BillingModel, WinningBid, call_cost, ranked_bids
from dce.domain.billing import bill_call, billed_duration, place_hold, release_hold, worst_case_cost
from dce.domain.calls import (
    DEFAULT_MAX_DURATION,
    HOLDING,
    ROUTABLE,
    Call,
    CallStatus,
    Direction,
    check_max_duration,
    check_status_change,
)
from dce.domain.controls import BilledCaller, CapacityClaim, ExchangeControls
from dce.domain.errors import (
    AccountNotFound,
    CallNotFound,
    Conflict,
    InsufficientFunds,
    InvalidState,
    NoBidsAvailable,
    SellerAtCapacity,
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
        """Move a call along the status machine; of concurrent changes only one wins. An end of a routing
        attempt gives back its hold and its seller's concurrent call in the same conditional write."""
        for attempt in range(RETRIES + 5):
            call = self._owned(caller, call_id)
            check_status_change(call.status, target)  # client-settable only; the message lists the allowed ones
            updated = call.transitioned(target, self._clock.now())
            release = call.seller_id if call.in_attempt and not updated.in_attempt else None
            if updated.status in HOLDING or not (call.open_hold or release):
                if self._calls.save_transition(updated, expected=call.status):
                    return updated
                continue
            try:
                moves = (release_hold(self._account(call.buyer_id), call.open_hold),) if call.open_hold else ()
                self._billing.commit(updated, call.status, moves, (), release=release)
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
        """pending → queued to the best bid whose seller can take the call (under its caps, inside its hours),
        closing the auction first if it is still open; after no_answer or busy, the same to the next such bid
        not tried yet (failover). Of concurrent routes exactly one succeeds (the write is conditional on the
        status read), and the seller's caps are conditional counter writes in the same transaction."""
        call = self._owned(caller, call_id)
        if call.status not in ROUTABLE:
            raise InvalidState(
                f"Only a pending call, or one that ended no_answer or busy, can be routed; this call is {call.status}"
            )
        auction = self._auctions.get(call.auction_id) if call.auction_id else None
        if auction is None:
            raise NoBidsAvailable("No bids available: the call has no auction")
        if not auction.settled:
            auction = self._auction_service.close(auction)
        buyer: Account | None = None
        for chunk in self._candidates(auction, call.tried_sellers | {call.buyer_id}):
            accounts = self._accounts.get_many([call.buyer_id, *(bid.seller_id for bid in chunk)])
            buyer = buyer or accounts.get(call.buyer_id)
            if buyer is None:
                raise AccountNotFound()
            now = self._clock.now()
            eligible = [
                (bid, seller.controls)
                for bid in chunk
                if (seller := accounts.get(bid.seller_id)) is not None and _can_route_to(seller, now)
            ]
            routed, buyer = self._route_to_first(call, auction, eligible, buyer)
            if routed is not None:
                return routed
        if call.attempts:
            raise NoBidsAvailable("No bids available: no other bidder can take the call now")
        raise NoBidsAvailable()

    def _candidates(self, auction: Auction, exclude: frozenset[str]) -> Iterator[list[WinningBid]]:
        """The auction's valid bids best first, without the excluded sellers, in chunks of at most 99 (one read
        of their accounts each): the ranking its item keeps, then, only if that runs out, the rest of its bids."""
        kept = auction.ranking
        if kept is not None:
            yield [bid for bid in kept if bid.seller_id not in exclude]
            if auction.ranked <= len(kept):
                return
        rest = ranked_bids(self._auctions.bids(auction.id), auction.reserve_price)[len(kept or ()) :]
        rest = [bid for bid in rest if bid.seller_id not in exclude]
        for start in range(0, len(rest), 99):
            yield rest[start : start + 99]

    def _route_to_first(
        self, call: Call, auction: Auction, bids: list[tuple[WinningBid, ExchangeControls]], buyer: Account
    ) -> tuple[Call | None, Account]:
        """Route to the first of `bids` whose seller's counters take the call; None when every one is at a cap."""
        conflicts = 0
        full: set[str] = set()
        while True:
            choice = next(((b, c) for b, c in bids if b.seller_id not in full), None)
            if choice is None:
                return None, buyer
            bid, controls = choice
            seller = bid.seller_id
            now = self._clock.now()
            claim = CapacityClaim(seller, controls.capacity_day(now), controls.max_concurrent_calls, controls.daily_cap)
            # The buyer's worst case is held in the same transaction that routes: 402 if it does not fit, and
            # then nothing changed (the call stays routable after a top-up).
            hold = worst_case_cost(bid.amount, auction.billing_model, call.max_duration)
            move = place_hold(buyer, hold)
            routed = call.routed(seller, bid.amount, auction.billing_model.value, auction.min_duration, hold, now)
            try:
                self._billing.commit(routed, call.status, (move,), (), claim=claim)
            except InvalidState as error:
                raise InvalidState("The call was routed concurrently") from error
            except SellerAtCapacity:
                full.add(seller)  # its conditional counter said no: the next bid
                continue
            except Conflict:  # the buyer's balance or holds changed since we read them (another route, a credit)
                conflicts += 1
                if conflicts > RETRIES + 5:
                    raise Conflict() from None
                backoff(conflicts)
                buyer = self._account(call.buyer_id)
                continue
            return routed, buyer

    def complete(self, caller: Principal, call_id: str, duration: int) -> Call:
        """in_progress → completed: the buyer pays and the seller is paid, atomically and once — nothing when
        the buyer's duplicate window holds a billed call from the same caller to the same seller."""
        if not 0 <= duration <= MAX_CALL_SECONDS:
            raise ValidationFailed(f"Invalid duration: must be 0 to {MAX_CALL_SECONDS} seconds")
        for attempt in range(RETRIES + 5):
            call = self._owned(caller, call_id)
            if call.status is not CallStatus.IN_PROGRESS or call.seller_id is None:
                raise InvalidState(f"Only an in-progress call can be completed; this call is {call.status}")
            accounts, last_billed = self._billing.parties(call, with_billed_caller=True)
            buyer, seller = accounts.get(call.buyer_id), accounts.get(call.seller_id)
            if buyer is None or seller is None:
                raise AccountNotFound()
            now = self._clock.now()
            window = buyer.controls.duplicate_window_days
            since = now - timedelta(days=window) if window else None
            duplicate = since is not None and last_billed is not None and last_billed > since
            model = BillingModel(call.billing_model or BillingModel.PER_MINUTE.value)
            billed = billed_duration(duration, call.max_duration)
            price = call.winning_bid_amount or Decimal("0")
            cost = Decimal("0.00") if duplicate else call_cost(price, billed, model, call.min_duration or 0)
            bill = bill_call(
                buyer,
                seller,
                cost=cost,
                hold=call.open_hold,
                call_id=call.id,
                entry_ids=(self._ids.new_id(), self._ids.new_id()),
                now=now,
            )
            completed = call.completed(duration, billed, bill.cost, now, duplicate=duplicate)
            mark = BilledCaller(call.buyer_id, call.seller_id, call.from_number.e164, now, since) if bill.cost else None
            try:
                self._billing.commit(
                    completed,
                    CallStatus.IN_PROGRESS,
                    bill.moves,
                    bill.entries,
                    release=call.seller_id if call.in_attempt else None,
                    billed=mark,
                )
            except InvalidState as error:
                raise InvalidState("Only an in-progress call can be completed; it changed concurrently") from error
            except Conflict:  # a balance changed since we read it, or a racing completion billed this caller
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


def _can_route_to(seller: Account, now: datetime) -> bool:
    """A seller who may be offered a call now: active and inside its hours (its caps are the counters' part)."""
    return seller.status == AccountStatus.ACTIVE and seller.controls.is_open(now)
