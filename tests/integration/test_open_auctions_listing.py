"""Listing open auctions: the open-auctions index is split into shards (OPEN_SHARDS) so openings and
closes spread over many partitions; the listing merges them. Every open auction exactly once, soonest
to end first, across pages of any size; closed ones never; a foreign cursor refused."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from dce.adapters.auctions_repo import DynamoAuctionRepo
from dce.adapters.tables import OPEN_SHARDS, open_shard
from dce.bootstrap import services
from dce.domain.accounts import Role
from dce.domain.errors import ValidationFailed
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount
from dce.services.auctions import NewAuction
from dce.services.calls import NewCall

OPENED = 23


def account(role: Role) -> Principal:
    created, _ = services().accounts.create(
        NewAccount(
            email=f"{role}-{random.getrandbits(40)}@example.com", company_name="Acme", role=role, password="x" * 12
        )
    )
    return Principal(created.id, role)


def open_auctions(buyer: Principal, count: int) -> list[str]:
    ids = []
    for n in range(count):
        call_id = services().calls.create(buyer, NewCall("+14155551234", "+18005551234")).id
        ids.append(services().auctions.open(buyer, NewAuction(call_id, duration=60 + 7 * n)).id)
    return ids


def all_pages(admin: Principal, limit: int) -> list[list[str]]:
    pages, start = [], None
    while True:
        page = services().auctions.list_open(admin, limit, start)
        pages.append([a.id for a in page.items])
        if page.next_key is None:
            return pages
        start = page.next_key
        assert len(pages) < 100, "the listing never ends"


@pytest.fixture
def opened(aws) -> tuple[Principal, list[str]]:
    buyer = account(Role.BUYER)
    return buyer, open_auctions(buyer, OPENED)


def test_auctions_spread_over_the_shards():
    shards = Counter(open_shard(f"auction-{n}") for n in range(1000))
    assert set(shards) == {f"open#{n}" for n in range(OPEN_SHARDS)}
    assert min(shards.values()) > 1000 / OPEN_SHARDS / 2  # no shard starves the others of writes


@pytest.mark.parametrize("limit", [1, 4, 7, 50])
def test_every_open_auction_is_listed_once_soonest_first_across_pages(opened, limit: int):
    _, ids = opened
    pages = all_pages(Principal("admin-1", Role.ADMIN), limit)
    listed = [auction_id for page in pages for auction_id in page]
    assert listed == ids  # opened with rising durations: the order they end in
    assert all(len(page) <= limit for page in pages)


def test_closed_auctions_are_not_listed(opened):
    buyer, ids = opened
    for auction_id in ids[::3]:
        services().auctions.complete(buyer, auction_id)
    listed = [i for page in all_pages(Principal("admin-1", Role.ADMIN), 5) for i in page]
    assert listed == [i for n, i in enumerate(ids) if n % 3]


def test_a_buyer_sees_only_its_own_open_auctions(opened):
    buyer, ids = opened
    other = account(Role.BUYER)
    mine = open_auctions(other, 2)
    assert [i for page in all_pages(other, 50) for i in page] == mine
    assert [i for page in all_pages(buyer, 50) for i in page] == ids


@pytest.mark.parametrize("cursor", [{}, {"open_shards": []}, {"open_shards": {"calls#1": {}}}, {"id": "x"}])
def test_a_cursor_of_another_shape_is_refused(aws, cursor):
    with pytest.raises(ValidationFailed, match="Invalid cursor"):
        DynamoAuctionRepo().list_open(10, cursor)
