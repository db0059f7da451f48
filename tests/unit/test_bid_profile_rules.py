from datetime import UTC, datetime
from decimal import Decimal

from dce.domain.bid_profiles import BidProfile, CallFacts, Criteria

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CA_SALES = CallFacts(country="US", state="CA", call_type="sales", keywords=("Auto", "insurance"))


def profile(criteria: Criteria, auto_bid: str | None = "10.00", active: bool = True) -> BidProfile:
    return BidProfile("p1", "s1", criteria, active, T0, T0, Decimal(auto_bid) if auto_bid else None)


def test_a_partial_update_changes_only_the_fields_it_names():
    before = Criteria(
        countries=("US",), states=("CA", "NY"), call_types=("sales",), keywords=("auto",), max_budget=Decimal("150")
    )
    after = before.merged({"max_budget": 200})
    assert after == Criteria(("US",), ("CA", "NY"), ("sales",), ("auto",), Decimal("200.00"))
    assert before.merged({"geography": {"states": ["TX"]}}).countries == ("US",)
    assert before.merged({"geography": {"states": ["TX"]}}).states == ("TX",)


def test_a_list_given_as_null_is_cleared_like_an_empty_one():
    """Found by fuzzing: `{"geography": {"countries": null}}` was a 500."""
    before = Criteria(countries=("US",), states=("CA",), call_types=("sales",), keywords=("auto",))
    patch = {"geography": {"countries": None, "states": None}, "call_type": None, "keywords": None}
    assert before.merged(patch) == Criteria()


def test_empty_criteria_match_any_call_and_keywords_match_case_insensitively():
    assert profile(Criteria()).matches(CA_SALES)
    assert profile(Criteria(keywords=("INSURANCE",))).matches(CA_SALES)
    assert not profile(Criteria(keywords=("finance",))).matches(CA_SALES)


def test_geography_and_call_type_must_match_when_given():
    assert profile(Criteria(countries=("US",), states=("CA", "NY"))).matches(CA_SALES)
    assert not profile(Criteria(countries=("CA",))).matches(CA_SALES)
    assert not profile(Criteria(states=("TX",))).matches(CA_SALES)
    assert not profile(Criteria(call_types=("support",))).matches(CA_SALES)


def test_an_automatic_bid_needs_an_active_matching_profile_within_budget():
    assert profile(Criteria(max_budget=Decimal("50"))).auto_bid_for(CA_SALES) == Decimal("10.00")
    assert profile(Criteria(max_budget=Decimal("5"))).auto_bid_for(CA_SALES) is None
    assert profile(Criteria(), active=False).auto_bid_for(CA_SALES) is None
    assert profile(Criteria(), auto_bid=None).auto_bid_for(CA_SALES) is None
    assert profile(Criteria(call_types=("support",))).auto_bid_for(CA_SALES) is None
