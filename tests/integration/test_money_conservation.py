"""Money you can trust: whatever sequence of operations happens, the money rules hold after every step.

A Hypothesis state machine drives random sequences of credits, credit-limit changes, call creation, auctions,
routing (which holds the buyer's worst case, or refuses with 402 and changes nothing), progress, failures of
every kind (which release the hold) and completions (which bill at most the hold, retried to prove they bill
once). After every step:
- every account: `balance ≥ -credit_limit`, `held` = the sum of the open holds of its calls, balance = the
  sum of its ledger entries (and the newest entry's `balance_after`);
- the exchange: the balances add up to the money credited in, total charged = total paid out.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from dce.bootstrap import services
from dce.domain.accounts import LedgerType, Role
from dce.domain.auctions import BillingModel
from dce.domain.billing import worst_case_cost
from dce.domain.calls import HOLDING, TRANSITIONS, CallStatus
from dce.domain.errors import Conflict, DomainError, InsufficientFunds
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount
from dce.services.auctions import NewAuction
from dce.services.calls import NewCall

SIGNUP_CREDIT = Decimal("1000.00")
cents = st.integers(min_value=1, max_value=50_000).map(lambda c: Decimal(c) / 100)
limits = st.sampled_from([Decimal("0.00"), Decimal("25.00"), Decimal("400.00"), Decimal("5000.00")])
max_durations = st.sampled_from([60, 300, 1800, 14400])
bad_ends = st.sampled_from([CallStatus.FAILED, CallStatus.NO_ANSWER, CallStatus.BUSY, CallStatus.CANCELED])
ADMIN = Principal("admin", Role.ADMIN)


@dataclass
class Buyer:
    principal: Principal
    calls: list[str] = field(default_factory=list)


class Exchange(RuleBasedStateMachine):
    """Buyers and sellers trade calls; the money rules must hold after every step."""

    @initialize()
    def open_accounts(self) -> None:
        self.buyers = [Buyer(self._account(Role.BUYER)) for _ in range(2)]
        self.sellers = [self._account(Role.SELLER) for _ in range(2)]
        self.credited = SIGNUP_CREDIT * len(self.buyers)
        self.pending: list[tuple[Buyer, str]] = []  # auctioned calls not routed (402): routable after a top-up
        self.live: list[tuple[Buyer, str]] = []  # routed calls that have not ended

    def _account(self, role: Role) -> Principal:
        account, _ = services().accounts.create(
            NewAccount(f"{role}-{uuid.uuid4().hex[:10]}@example.com", "Acme", role)  # no password: no argon2
        )
        return Principal(account.id, role)

    @rule(buyer=st.integers(0, 1), amount=cents)
    def admin_credits_a_buyer(self, buyer: int, amount: Decimal) -> None:
        services().accounts.credit(self.buyers[buyer].principal.account_id, amount, "top-up")
        self.credited += amount

    @rule(buyer=st.integers(0, 1), limit=limits)
    def admin_changes_a_credit_limit(self, buyer: int, limit: Decimal) -> None:
        account_id = self.buyers[buyer].principal.account_id
        before = services().accounts.get(account_id)
        try:
            services().accounts.change(account_id, limit, None)
        except Conflict:
            # Refused only when lowering it would leave less than what the calls in flight have committed.
            assert limit < before.credit_limit and before.balance + limit - before.held < 0

    @rule(buyer=st.integers(0, 1), seller=st.integers(0, 1), bid=cents, per_call=st.booleans(), max_s=max_durations)
    def a_call_is_auctioned_and_routed(self, buyer: int, seller: int, bid: Decimal, per_call: bool, max_s: int) -> None:
        who = self.buyers[buyer]
        before = services().accounts.get(who.principal.account_id)
        try:
            call = services().calls.create(who.principal, NewCall("+14155551234", "+18005551234", max_duration=max_s))
        except InsufficientFunds:
            assert before.available <= 0
            return
        who.calls.append(call.id)
        model = BillingModel.PER_CALL if per_call else BillingModel.PER_MINUTE
        auction = services().auctions.open(who.principal, NewAuction(call.id, duration=600, billing_model=model))
        services().bids.place(self.sellers[seller], auction.id, bid)
        self._route(who, call.id)

    def _route(self, who: Buyer, call_id: str) -> None:
        before = services().accounts.get(who.principal.account_id)
        call = services().calls.get(who.principal, call_id)
        try:
            routed = services().calls.route(who.principal, call_id)
        except InsufficientFunds:
            after = services().accounts.get(who.principal.account_id)
            assert (after.balance, after.held) == (before.balance, before.held), "a refused route changed money"
            assert services().calls.get(who.principal, call_id).status is CallStatus.PENDING
            self.pending.append((who, call_id))
            return
        model = BillingModel(routed.billing_model)
        expected = worst_case_cost(routed.winning_bid_amount or Decimal(0), model, call.max_duration)
        assert routed.hold == expected
        assert expected <= before.available
        self.live.append((who, call_id))

    @precondition(lambda self: bool(getattr(self, "pending", None)))
    @rule(data=st.data())
    def a_refused_call_is_routed_again(self, data: st.DataObject) -> None:
        who, call_id = self.pending.pop(data.draw(st.integers(0, len(self.pending) - 1)))
        self._route(who, call_id)

    @precondition(lambda self: bool(getattr(self, "live", None)))
    @rule(data=st.data())
    def a_call_progresses(self, data: st.DataObject) -> None:
        who, call_id = self.live[data.draw(st.integers(0, len(self.live) - 1))]
        status = services().calls.get(who.principal, call_id).status
        following = {CallStatus.QUEUED: CallStatus.RINGING, CallStatus.RINGING: CallStatus.IN_PROGRESS}
        if status in following:
            services().calls.change_status(who.principal, call_id, following[status])

    @precondition(lambda self: bool(getattr(self, "live", None)))
    @rule(data=st.data(), end=bad_ends)
    def a_call_ends_without_a_bill(self, data: st.DataObject, end: CallStatus) -> None:
        index = data.draw(st.integers(0, len(self.live) - 1))
        who, call_id = self.live[index]
        status = services().calls.get(who.principal, call_id).status
        if end not in TRANSITIONS[status]:
            return
        services().calls.change_status(who.principal, call_id, end)
        self.live.pop(index)

    @precondition(lambda self: bool(getattr(self, "live", None)))
    @rule(data=st.data(), duration=st.integers(0, 20_000), twice=st.booleans())
    def a_call_completes(self, data: st.DataObject, duration: int, twice: bool) -> None:
        index = data.draw(st.integers(0, len(self.live) - 1))
        who, call_id = self.live[index]
        call = services().calls.get(who.principal, call_id)
        if call.status is not CallStatus.IN_PROGRESS:
            return
        completed = services().calls.complete(who.principal, call_id, duration)
        assert completed.billed_duration == min(duration, call.max_duration)
        assert completed.cost is not None and call.hold is not None and completed.cost <= call.hold
        if twice:  # a retry must not charge again
            with contextlib.suppress(DomainError):
                services().calls.complete(who.principal, call_id, duration)
        self.live.pop(index)

    @invariant()
    def money_rules_hold(self) -> None:
        if not hasattr(self, "buyers"):
            return
        total = charged = paid = Decimal("0")
        for principal in [b.principal for b in self.buyers] + self.sellers:
            account = services().accounts.get(principal.account_id)
            entries = services().accounts.ledger(principal.account_id, 1000, None).items
            assert account.balance == sum((e.amount for e in entries), Decimal("0"))
            if entries:
                assert entries[0].balance_after == account.balance
            assert account.balance >= -account.credit_limit, f"{account.balance} below -{account.credit_limit}"
            charged += sum((-e.amount for e in entries if e.type is LedgerType.CHARGE), Decimal("0"))
            paid += sum((e.amount for e in entries if e.type is LedgerType.PAYOUT), Decimal("0"))
            total += account.balance
            if principal.role is Role.BUYER:
                calls = services().calls.visible_to(principal, 100, None).items
                open_holds = sum((c.open_hold for c in calls), Decimal("0"))
                assert account.held == open_holds, f"held {account.held} != open holds {open_holds}"
                assert all(c.hold is not None and c.hold > 0 for c in calls if c.status in HOLDING)
            else:
                assert account.held == 0
        assert total == self.credited
        assert charged == paid


def test_money_rules_hold_under_any_sequence_of_operations(aws):
    run_state_machine_as_test(
        Exchange,
        settings=settings(
            max_examples=int(os.environ.get("DCE_MONEY_EXAMPLES", "200")),
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
