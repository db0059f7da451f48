from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dce.domain.errors import ValidationFailed
from dce.domain.money import Money, to_cents

cents = st.integers(min_value=-(10**12), max_value=10**12).map(lambda c: Decimal(c) / 100)


@given(cents, cents)
def test_adding_and_subtracting_money_is_exact(a, b):
    assert (Money(a) + Money(b)).amount == a + b
    assert (Money(a) + Money(b) - Money(b)).amount == a


@given(cents, st.integers(min_value=0, max_value=1440))
def test_multiplying_by_whole_minutes_is_exact(a, minutes):
    assert Money(a).times(minutes).amount == a * minutes


@pytest.mark.parametrize("raw", ["1.001", "0.125", "NaN", "Infinity", "abc", ""])
def test_amounts_finer_than_a_cent_or_not_numbers_are_refused(raw):
    with pytest.raises(ValidationFailed):
        to_cents(raw)


def test_money_prints_with_two_decimals():
    assert str(Money.of("88")) == "88.00"
    assert Money.of("15.5").amount == Decimal("15.50")
    assert Money.zero().is_negative() is False
    assert (-Money.of("1")).is_negative() is True
