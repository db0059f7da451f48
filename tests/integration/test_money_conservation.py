"""Money is conserved: whatever happens, the sum of balances equals the money credited in, and every
balance equals its ledger. A Hypothesis state machine drives random sequences of operations."""

from __future__ import annotations

import contextlib
import uuid
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from dce.bootstrap import services
from dce.domain.accounts import Role
from dce.domain.calls import CallStatus
from dce.domain.errors import DomainError
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount
from dce.services.auctions import NewAuction
from dce.services.calls import NewCall

cents = st.integers(min_value=1, max_value=50_000).map(lambda c: Decimal(c) / 100)


class Exchange(RuleBasedStateMachine):
    """Buyers and sellers trade calls; the ledger must always add up."""

    @initialize()
    def open_accounts(self) -> None:
        self.buyers = [self._account(Role.BUYER) for _ in range(2)]
        self.sellers = [self._account(Role.SELLER) for _ in range(2)]
        self.credited = Decimal("1000.00") * len(self.buyers)  # signup credit of each buyer
        self.calls_in_progress: list[tuple[Principal, str]] = []

    def _account(self, role: Role) -> Principal:
        account, _ = services().accounts.create(
            NewAccount(f"{role}-{uuid.uuid4().hex[:10]}@example.com", "Acme", role, password="x" * 12)
        )
        return Principal(account.id, role)

    @rule(buyer=st.integers(0, 1), amount=cents)
    def admin_credits_a_buyer(self, buyer: int, amount: Decimal) -> None:
        services().accounts.credit(self.buyers[buyer].account_id, amount, "top-up")
        self.credited += amount

    @rule(buyer=st.integers(0, 1), seller=st.integers(0, 1), bid=cents)
    def a_call_is_auctioned_and_routed(self, buyer: int, seller: int, bid: Decimal) -> None:
        who = self.buyers[buyer]
        try:
            call = services().calls.create(who, NewCall("+14155551234", "+18005551234"))
        except DomainError:  # e.g. a negative balance: no call, no money moves
            return
        auction = services().auctions.open(who, NewAuction(call.id, duration=600))
        services().bids.place(self.sellers[seller], auction.id, bid)
        services().calls.route(who, call.id)
        services().calls.change_status(who, call.id, CallStatus.RINGING)
        services().calls.change_status(who, call.id, CallStatus.IN_PROGRESS)
        self.calls_in_progress.append((who, call.id))

    @rule(duration=st.integers(0, 900), twice=st.booleans())
    def a_call_completes(self, duration: int, twice: bool) -> None:
        if not self.calls_in_progress:
            return
        who, call_id = self.calls_in_progress.pop()
        services().calls.complete(who, call_id, duration)
        if twice:  # a retry must not charge again
            with contextlib.suppress(DomainError):
                services().calls.complete(who, call_id, duration)

    @invariant()
    def balances_add_up_to_the_money_credited_and_match_their_ledgers(self) -> None:
        if not hasattr(self, "buyers"):
            return
        total = Decimal("0")
        for principal in self.buyers + self.sellers:
            account = services().accounts.get(principal.account_id)
            entries = services().accounts.ledger(principal.account_id, 100, None).items
            assert account.balance == sum((e.amount for e in entries), Decimal("0"))
            if entries:
                assert entries[0].balance_after == account.balance
            total += account.balance
        assert total == self.credited


def test_money_is_conserved_under_any_sequence_of_operations(aws):
    run_state_machine_as_test(
        Exchange,
        settings=settings(
            max_examples=8, stateful_step_count=12, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
