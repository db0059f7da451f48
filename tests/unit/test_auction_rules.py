from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dce.domain.auctions import (
    Auction,
    AuctionStatus,
    Bid,
    BidStatus,
    BillingModel,
    call_cost,
    check_bid_amount,
    check_duration,
    check_reserve,
    choose_winner,
)
from dce.domain.errors import ValidationFailed

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def bid(amount: str, seconds: float = 0, status: BidStatus = BidStatus.ACTIVE, bid_id: str = "") -> Bid:
    return Bid(
        bid_id or f"b{amount}-{seconds}", "a1", f"s{amount}", Decimal(amount), status, T0 + timedelta(seconds=seconds)
    )


def test_the_highest_bid_wins():
    assert choose_winner([bid("15.50"), bid("8.25"), bid("22.00")], Decimal("0")).amount == Decimal("22.00")


def test_the_earliest_of_equal_bids_wins():
    early, late = bid("10.00", 1, bid_id="late-id-but-early"), bid("10.00", 2, bid_id="a-early-id-but-late")
    assert choose_winner([late, early], Decimal("0")) == early


def test_withdrawn_and_below_reserve_bids_never_win():
    bids = [bid("50.00", status=BidStatus.WITHDRAWN), bid("4.99")]
    assert choose_winner(bids, Decimal("5.00")) is None


amounts = st.integers(min_value=1, max_value=100_000).map(lambda c: Decimal(c) / 100)


@given(st.lists(st.tuples(amounts, st.integers(0, 1000)), min_size=1, max_size=50))
def test_the_winner_is_the_true_maximum_whatever_the_order(pairs):
    bids = [bid(str(a), s, bid_id=f"id{i}") for i, (a, s) in enumerate(pairs)]
    winner = choose_winner(bids, Decimal("0"))
    assert winner is not None
    top = max(b.amount for b in bids)
    assert winner.amount == top
    assert winner.placed_at == min(b.placed_at for b in bids if b.amount == top)
    other_order = choose_winner(list(reversed(bids)), Decimal("0"))
    assert other_order is not None
    assert (other_order.amount, other_order.placed_at) == (winner.amount, winner.placed_at)


@pytest.mark.parametrize("reserve", [Decimal("-0.01"), Decimal("-5")])
def test_a_negative_reserve_is_refused_with_the_contract_message(reserve):
    with pytest.raises(ValidationFailed, match="Reserve price cannot be negative"):
        check_reserve(reserve)


@pytest.mark.parametrize("seconds", [0, 3601, -1])
def test_durations_must_be_1_to_3600_seconds(seconds):
    with pytest.raises(ValidationFailed):
        check_duration(seconds)


@pytest.mark.parametrize("amount", ["0", "0.001", "1000.01", "-1"])
def test_bid_amounts_must_be_0_01_to_1000_with_cents(amount):
    with pytest.raises(ValidationFailed):
        check_bid_amount(Decimal(amount))


def an_auction(ends_in: float) -> Auction:
    return Auction(
        "a1",
        "c1",
        "b1",
        AuctionStatus.OPEN,
        Decimal("0"),
        BillingModel.PER_MINUTE,
        0,
        T0,
        T0 + timedelta(seconds=ends_in),
    )


def test_a_bid_in_the_last_ten_seconds_extends_the_auction_to_now_plus_fifteen():
    auction = an_auction(ends_in=30)
    assert auction.ends_at_after_bid(T0 + timedelta(seconds=19)) == auction.ends_at
    assert auction.ends_at_after_bid(T0 + timedelta(seconds=25)) == T0 + timedelta(seconds=40)
    assert auction.accepts_bids_at(T0 + timedelta(seconds=29))
    assert not auction.accepts_bids_at(T0 + timedelta(seconds=30))


@pytest.mark.parametrize(
    ("model", "bid_amount", "duration", "min_duration", "cost"),
    [
        (BillingModel.PER_MINUTE, "22.00", 240, 0, "88.00"),
        (BillingModel.PER_MINUTE, "22.00", 241, 0, "110.00"),
        (BillingModel.PER_MINUTE, "0.01", 1, 0, "0.01"),
        (BillingModel.PER_MINUTE, "5.00", 0, 0, "0.00"),
        (BillingModel.PER_CALL, "30.00", 90, 60, "30.00"),
        (BillingModel.PER_CALL, "30.00", 59, 60, "0.00"),
    ],
)
def test_billing_rounds_up_to_whole_minutes_or_charges_per_qualified_call(
    model, bid_amount, duration, min_duration, cost
):
    assert call_cost(Decimal(bid_amount), duration, model, min_duration) == Decimal(cost)
