"""Credit control, as an adversary tests it: a buyer and a seller who collude (the seller bids the maximum, the
buyer reports a day-long call) can move no more money than the buyer has available, however many calls they
route at once; holds are released exactly once whichever way a call ends; an admin's credits and limit changes
racing with routes never break `balance ≥ -credit_limit`."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from dce.bootstrap import services
from dce.domain.accounts import Account, Role
from dce.domain.auctions import BillingModel
from dce.domain.calls import Call, CallStatus
from dce.domain.errors import Conflict, DomainError, Forbidden, InsufficientFunds, NoBidsAvailable
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount
from dce.services.auctions import NewAuction
from dce.services.calls import NewCall

SIGNUP_CREDIT = Decimal("1000.00")  # tests/conftest.py's DCE_SIGNUP_CREDIT


def principal(role: Role, name: str) -> Principal:
    account, _ = services().accounts.create(NewAccount(f"{name}@example.com", "Acme", role))
    return Principal(account.id, role)


def account(who: Principal) -> Account:
    return services().accounts.get(who.account_id)


def auctioned_call(
    buyer: Principal,
    seller: Principal,
    bid: Decimal,
    *,
    max_duration: int = 1800,
    model: BillingModel = BillingModel.PER_MINUTE,
) -> Call:
    call = services().calls.create(buyer, NewCall("+14155551234", "+18005551234", max_duration=max_duration))
    auction = services().auctions.open(buyer, NewAuction(call.id, duration=600, billing_model=model))
    services().bids.place(seller, auction.id, bid)
    return call


def outcome(action: Callable[[], object]) -> str:
    try:
        action()
    except DomainError as refused:
        return refused.code
    return "ok"


def test_a_colluding_pair_moves_at_most_the_buyers_available_funds(aws):
    """Before holds, three calls at 1000.00 with `duration: 86400` took a 0.00 buyer to -4,320,000.00."""
    buyer, seller = principal(Role.BUYER, "buyer"), principal(Role.SELLER, "seller")
    calls = [auctioned_call(buyer, seller, Decimal("1000.00"), max_duration=60) for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        routed = list(pool.map(lambda c: outcome(lambda: services().calls.route(buyer, c.id)), calls))
    assert routed.count("ok") == 1  # the worst case of one call (1000.00 x 1 minute) is all there is
    assert set(routed) == {"ok", "INSUFFICIENT_FUNDS"}
    assert account(buyer).held == Decimal("1000.00")
    for call in calls:
        if services().calls.get(buyer, call.id).status is CallStatus.QUEUED:
            services().calls.change_status(buyer, call.id, CallStatus.RINGING)
            services().calls.change_status(buyer, call.id, CallStatus.IN_PROGRESS)
            completed = services().calls.complete(buyer, call.id, 86400)
            assert completed.duration == 86400 and completed.billed_duration == 60
            assert completed.cost == Decimal("1000.00")
    assert account(buyer).balance == Decimal("0.00")
    assert account(buyer).held == Decimal("0.00")
    assert account(seller).balance == Decimal("1000.00")


def test_concurrent_routes_hold_exactly_what_fits(aws):
    buyer, seller = principal(Role.BUYER, "buyer"), principal(Role.SELLER, "seller")
    calls = [auctioned_call(buyer, seller, Decimal("300.00"), max_duration=60) for _ in range(10)]
    with ThreadPoolExecutor(10) as pool:
        routed = list(pool.map(lambda c: outcome(lambda: services().calls.route(buyer, c.id)), calls))
    assert routed.count("ok") == 3  # 3 x 300.00 <= 1000.00 < 4 x 300.00
    after = account(buyer)
    assert (after.balance, after.held, after.available) == (SIGNUP_CREDIT, Decimal("900.00"), Decimal("100.00"))
    refused = [c for c, result in zip(calls, routed, strict=True) if result != "ok"]
    assert {services().calls.get(buyer, c.id).status for c in refused} == {CallStatus.PENDING}


def test_a_refused_route_changes_nothing_and_the_call_routes_after_a_top_up(aws):
    buyer, seller = principal(Role.BUYER, "buyer"), principal(Role.SELLER, "seller")
    call = auctioned_call(buyer, seller, Decimal("50.00"))  # 1800 s: 30 minutes x 50.00 = 1500.00
    before = account(buyer)
    with pytest.raises(InsufficientFunds, match=r"1500\.00"):
        services().calls.route(buyer, call.id)
    after = account(buyer)
    assert (after.balance, after.held, after.version) == (before.balance, before.held, before.version)
    assert services().calls.get(buyer, call.id).status is CallStatus.PENDING
    services().accounts.credit(buyer.account_id, Decimal("500.00"), "top-up")
    routed = services().calls.route(buyer, call.id)
    assert routed.hold == Decimal("1500.00")
    assert account(buyer).available == Decimal("0.00")


def test_a_credit_limit_lets_a_buyer_go_below_zero_but_never_below_minus_the_limit(aws):
    buyer, seller = principal(Role.BUYER, "buyer"), principal(Role.SELLER, "seller")
    services().accounts.change(buyer.account_id, Decimal("500.00"), None)
    call = auctioned_call(buyer, seller, Decimal("25.00"), max_duration=3600)  # 60 x 25.00 = 1500.00 held
    services().calls.route(buyer, call.id)
    assert account(buyer).available == Decimal("0.00")
    with pytest.raises(Conflict, match=r"500\.00"):  # the limit backs a call in flight: it cannot be lowered
        services().accounts.change(buyer.account_id, Decimal("100.00"), None)
    services().calls.change_status(buyer, call.id, CallStatus.RINGING)
    services().calls.change_status(buyer, call.id, CallStatus.IN_PROGRESS)
    services().calls.complete(buyer, call.id, 7200)  # billed 3600 s: 1500.00
    final = account(buyer)
    assert (final.balance, final.held) == (Decimal("-500.00"), Decimal("0.00"))
    assert final.balance >= -final.credit_limit
    with pytest.raises(InsufficientFunds):  # nothing available: no new call
        services().calls.create(buyer, NewCall("+14155551234", "+18005551234"))


@pytest.mark.parametrize("end", [CallStatus.FAILED, CallStatus.CANCELED, CallStatus.NO_ANSWER, CallStatus.BUSY])
def test_a_call_that_ends_without_a_bill_releases_its_hold(aws, end):
    buyer, seller = principal(Role.BUYER, "buyer"), principal(Role.SELLER, "seller")
    call = auctioned_call(buyer, seller, Decimal("10.00"), max_duration=600)
    services().calls.route(buyer, call.id)
    services().calls.change_status(buyer, call.id, CallStatus.RINGING)
    assert account(buyer).held == Decimal("100.00")
    services().calls.change_status(buyer, call.id, end)
    after = account(buyer)
    assert (after.balance, after.held) == (SIGNUP_CREDIT, Decimal("0.00"))
    assert services().accounts.ledger(buyer.account_id, 10, None).items[0].reason == "signup credit"


def test_completion_racing_a_failure_moves_the_hold_exactly_once(aws):
    buyer, seller = principal(Role.BUYER, "buyer"), principal(Role.SELLER, "seller")
    for _ in range(3):
        call = auctioned_call(buyer, seller, Decimal("2.00"), max_duration=600)
        services().calls.route(buyer, call.id)
        services().calls.change_status(buyer, call.id, CallStatus.RINGING)
        services().calls.change_status(buyer, call.id, CallStatus.IN_PROGRESS)
        actions: list[Callable[[], object]] = [
            *(lambda c=call: services().calls.complete(buyer, c.id, 125) for _ in range(5)),
            *(lambda c=call: services().calls.change_status(buyer, c.id, CallStatus.FAILED) for _ in range(5)),
        ]
        with ThreadPoolExecutor(10) as pool:
            results = list(pool.map(outcome, actions))
        assert results.count("ok") == 1
        assert account(buyer).held == Decimal("0.00")
    buyer_now, seller_now = account(buyer), account(seller)
    assert buyer_now.balance + seller_now.balance == SIGNUP_CREDIT
    assert seller_now.balance in {Decimal("0.00"), Decimal("6.00"), Decimal("12.00"), Decimal("18.00")}


def test_admin_credits_and_limit_changes_racing_routes_keep_every_invariant(aws):
    buyer, seller = principal(Role.BUYER, "buyer"), principal(Role.SELLER, "seller")
    calls = [auctioned_call(buyer, seller, Decimal("200.00"), max_duration=60) for _ in range(8)]
    actions: list[Callable[[], object]] = [
        *(lambda c=c: services().calls.route(buyer, c.id) for c in calls),
        *(lambda: services().accounts.credit(buyer.account_id, Decimal("100.00"), "top-up") for _ in range(4)),
        lambda: services().accounts.change(buyer.account_id, Decimal("300.00"), None),
    ]
    with ThreadPoolExecutor(13) as pool:
        results = list(pool.map(outcome, actions))
    assert set(results) <= {"ok", "INSUFFICIENT_FUNDS"}
    final = account(buyer)
    routed = results[:8].count("ok")
    assert final.held == Decimal("200.00") * routed
    assert final.balance == SIGNUP_CREDIT + Decimal("400.00")  # every credit landed, once
    assert final.available >= 0
    assert routed <= 8 and Decimal("200.00") * routed <= final.balance + final.credit_limit


def test_an_account_never_bids_on_its_own_auction_whatever_its_role(aws):
    """Before: an admin's bid on its own call made completion fail with 500 (two writes to one item)."""
    admin = principal(Role.ADMIN, "admin")
    services().accounts.credit(admin.account_id, Decimal("100.00"), "float")
    call = services().calls.create(admin, NewCall("+14155551234", "+18005551234"))
    auction = services().auctions.open(admin, NewAuction(call.id, duration=600))
    with pytest.raises(Forbidden, match="own auction"):
        services().bids.place(admin, auction.id, Decimal("5.00"))
    with pytest.raises(NoBidsAvailable):  # no bid: nothing to route to
        services().calls.route(admin, call.id)
