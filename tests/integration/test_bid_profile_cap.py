"""At most 50 bid profiles per seller ("Fair use"): the 51st is 409 LIMIT_EXCEEDED, exactly, under concurrency
(a count item and one transaction per create, never count-then-write), and deleting a profile frees a slot.
Threads against the moto server, whose transactions are atomic as DynamoDB's (local/moto_patches.py)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

import pytest

from dce.adapters.aws import table
from dce.adapters.bid_profiles_repo import DynamoBidProfileRepo, count_key, profile_item
from dce.adapters.tables import BID_PROFILES
from dce.bootstrap import services
from dce.config import settings
from dce.domain.accounts import Role
from dce.domain.bid_profiles import BidProfile, Criteria
from dce.domain.errors import BidProfileNotFound, LimitExceeded
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount
from dce.services.bid_profiles import ProfileInput

CAP = 50
CATCH_ALL = ProfileInput({}, auto_bid_amount=Decimal("1.00"), auto_bid_given=True)


def seller(email: str = "s@example.com") -> Principal:
    account, _ = services().accounts.create(NewAccount(email, "Acme", Role.SELLER, password="x" * 12))
    return Principal(account.id, Role.SELLER)


def create(principal: Principal) -> str:
    """'created' or the refusal's code."""
    try:
        services().bid_profiles.create(principal, CATCH_ALL)
    except LimitExceeded as refused:
        return refused.code
    return "created"


def test_the_cap_is_fifty_by_default(aws: None) -> None:
    assert settings().bid_profiles_per_seller == CAP


def test_sixty_concurrent_creates_of_one_seller_make_exactly_fifty_profiles(aws: None) -> None:
    owner = seller()
    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(lambda _: create(owner), range(60)))
    assert outcomes.count("created") == CAP and outcomes.count("LIMIT_EXCEEDED") == 10
    assert len(services().bid_profiles.list(owner)) == CAP
    assert DynamoBidProfileRepo().count(owner.account_id) == CAP


def test_deleting_a_profile_frees_a_slot_and_other_sellers_have_their_own_cap(aws: None) -> None:
    owner, other = seller(), seller("other@example.com")
    for _ in range(CAP):
        assert create(owner) == "created"
    assert create(owner) == "LIMIT_EXCEEDED"
    assert create(other) == "created"
    first, second = (p.id for p in services().bid_profiles.list(owner)[:2])
    services().bid_profiles.delete(owner, first)
    assert create(owner) == "created"
    assert create(owner) == "LIMIT_EXCEEDED"
    with ThreadPoolExecutor(4) as pool:  # racing deletes of one profile count it out once
        list(pool.map(lambda _: DynamoBidProfileRepo().delete(second, owner.account_id), range(4)))
    assert DynamoBidProfileRepo().count(owner.account_id) == CAP - 1
    assert create(owner) == "created"
    assert len(services().bid_profiles.list(owner)) == CAP


def test_concurrent_creates_and_deletes_never_pass_the_cap(aws: None) -> None:
    owner = seller()
    for _ in range(CAP - 5):
        create(owner)
    victims = [p.id for p in services().bid_profiles.list(owner)[:10]]
    jobs: list[Callable[[], object]] = [partial(create, owner)] * 30
    jobs += [partial(services().bid_profiles.delete, owner, victim) for victim in victims]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda job: job(), jobs))
    held = len(services().bid_profiles.list(owner))
    assert held <= CAP and DynamoBidProfileRepo().count(owner.account_id) == held


def test_sellers_holding_more_than_the_cap_from_before_it_must_delete_first(aws: None) -> None:
    """Profiles written before the cap have no count item: the first create counts them, then refuses."""
    owner = seller()
    now = datetime.now(UTC)
    for n in range(CAP + 5):
        legacy = BidProfile(f"00000000-0000-4000-8000-{n:012d}", owner.account_id, Criteria(), True, now, now)
        table(BID_PROFILES).put_item(Item=profile_item(legacy))
    assert DynamoBidProfileRepo().count(owner.account_id) is None
    assert create(owner) == "LIMIT_EXCEEDED"
    assert DynamoBidProfileRepo().count(owner.account_id) == CAP + 5
    for profile in services().bid_profiles.list(owner)[:6]:
        services().bid_profiles.delete(owner, profile.id)
    assert create(owner) == "created"
    assert create(owner) == "LIMIT_EXCEEDED"
    assert len(services().bid_profiles.list(owner)) == CAP


def test_a_seller_without_a_count_can_still_delete_an_old_profile(aws: None) -> None:
    owner = seller()
    now = datetime.now(UTC)
    old = BidProfile("00000000-0000-4000-8000-000000000001", owner.account_id, Criteria(), True, now, now)
    table(BID_PROFILES).put_item(Item=profile_item(old))
    services().bid_profiles.delete(owner, old.id)
    assert services().bid_profiles.list(owner) == []
    assert DynamoBidProfileRepo().count(owner.account_id) is None


def test_the_count_item_is_in_no_index_and_no_profile(aws: None) -> None:
    owner = seller()
    create(owner)
    assert "Item" in table(BID_PROFILES).get_item(Key=count_key(owner.account_id))
    assert DynamoBidProfileRepo().get(count_key(owner.account_id)["id"]) is None
    assert len(DynamoBidProfileRepo().active()) == 1 and len(services().bid_profiles.list(owner)) == 1


def test_an_update_racing_a_delete_never_brings_the_profile_back(aws: None) -> None:
    owner = seller()
    profile = services().bid_profiles.create(owner, CATCH_ALL)
    stale = profile.updated(profile.criteria, False, profile.auto_bid_amount, datetime.now(UTC))
    services().bid_profiles.delete(owner, profile.id)
    with pytest.raises(BidProfileNotFound):
        DynamoBidProfileRepo().put(stale)
    assert DynamoBidProfileRepo().get(profile.id) is None


def test_the_51st_profile_over_http_is_409_limit_exceeded(call_api: Any) -> None:
    owner = seller()
    for _ in range(CAP):
        create(owner)
    response = call_api("POST", "/bid-profiles", {"criteria": {}}, as_=owner)
    assert response.status == 409, response.body
    assert response.body["error"]["code"] == "LIMIT_EXCEEDED"
    assert "50" in response.body["error"]["message"]
    [first, *_] = call_api("GET", "/bid-profiles", as_=owner).body
    assert call_api("DELETE", f"/bid-profiles/{first['id']}", as_=owner).status == 204
    assert call_api("POST", "/bid-profiles", {"criteria": {}}, as_=owner).status == 201
