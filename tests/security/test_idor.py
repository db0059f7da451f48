"""Another account's resources do not exist for you (contract: Errors — 404, never 403): every route of
ROUTES with an id in its path, called with a real id by another account of the owner's role, answers
404 and changes nothing. A new route on an existing resource is covered without editing this file; a
route on a new kind of resource fails `test_every_route_with_an_id_has_an_owner_here` until it is added."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from dce.api.routes import ROUTES, Route
from tests.e2e.api_client import ApiClient, User
from tests.e2e.assertions import assert_error

# The kind of resource a path names (its first segment) and the role that owns such resources.
OWNERS = {"calls": "buyer", "auctions": "buyer", "bids": "seller", "bid-profiles": "seller", "api-keys": "buyer"}
# Not owned by an account: admin routes address every account, compliance data is global.
UNOWNED = {"admin", "compliance"}
NOT_FOUND = {
    "calls": "CALL_NOT_FOUND",
    "auctions": "AUCTION_NOT_FOUND",
    "bids": "BID_NOT_FOUND",
    "bid-profiles": "BID_PROFILE_NOT_FOUND",
    "api-keys": "NOT_FOUND",
}
# A valid body where the route takes one, so the request reaches the ownership check.
BODIES = {
    ("PATCH", "/calls/{id}/status"): {"status": "ringing"},
    ("POST", "/calls/{id}/complete"): {"duration": 30},
    ("PUT", "/bid-profiles/{id}"): {"active": False, "criteria": {"keywords": ["stolen"]}},
}


def kind(route: Route) -> str:
    return route.path.split("/")[1]


ID_ROUTES = [r for r in ROUTES if "{" in r.path and kind(r) not in UNOWNED]


@dataclass(frozen=True)
class Owned:
    owners: dict[str, User]  # role → the owner
    intruders: dict[str, User]  # role → another account of that role
    ids: dict[str, str]  # kind of resource → the owner's id


@pytest.fixture(scope="module")
def owned(api: ApiClient) -> Owned:
    buyer, seller = api.sign_up("buyer"), api.sign_up("seller")
    call = api.post("/calls", {"from_number": "+14155551234", "to_number": "+12125551234"}, buyer).json()
    auctioned = api.post("/calls", {"from_number": "+14155551234", "to_number": "+12125551235"}, buyer).json()
    auction = api.post("/auctions", {"call_id": auctioned["id"], "duration": 3600}, buyer).json()
    bid = api.post("/bids", {"auction_id": auction["id"], "amount": 5}, seller).json()
    profile = api.post("/bid-profiles", {"criteria": {"keywords": ["mine"]}}, seller).json()
    key = api.post("/api-keys", {"name": "mine"}, buyer).json()
    ids = {"calls": call["id"], "auctions": auction["id"], "bids": bid["id"], "bid-profiles": profile["id"]}
    return Owned(
        owners={"buyer": buyer, "seller": seller},
        intruders={"buyer": api.sign_up("buyer"), "seller": api.sign_up("seller")},
        ids={**ids, "api-keys": key["id"]},
    )


def untouched(api: ApiClient, owned: Owned) -> None:
    """Every resource is still there, as its owner left it."""
    buyer, seller = owned.owners["buyer"], owned.owners["seller"]
    assert api.get(f"/calls/{owned.ids['calls']}", buyer).json()["status"] == "pending"
    assert api.get(f"/auctions/{owned.ids['auctions']}", buyer).json()["status"] == "open"
    bids = api.get(f"/bids?auction_id={owned.ids['auctions']}", seller).json()
    assert [(b["id"], b["status"]) for b in bids] == [(owned.ids["bids"], "active")]
    profile = api.get(f"/bid-profiles/{owned.ids['bid-profiles']}", seller).json()
    assert profile["active"] is True and profile["criteria"]["keywords"] == ["mine"]
    assert owned.ids["api-keys"] in {k["id"] for k in api.get("/api-keys", buyer).json()}


def test_every_route_with_an_id_has_an_owner_here():
    assert {kind(route) for route in ID_ROUTES} <= set(OWNERS)
    assert all(OWNERS[kind(route)] in {role.value for role in route.roles} for route in ID_ROUTES)


@pytest.mark.parametrize("route", ID_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_another_accounts_resource_is_not_found_and_stays_untouched(api: ApiClient, owned: Owned, route: Route):
    intruder = owned.intruders[OWNERS[kind(route)]]
    path = route.path.replace("{id}", owned.ids[kind(route)])
    body = BODIES.get((route.method, route.path))
    response: httpx.Response = api.request(route.method, path, intruder, **({"json": body} if body else {}))
    error = assert_error(response, 404, NOT_FOUND[kind(route)])
    assert owned.ids[kind(route)] not in error["message"]
    untouched(api, owned)
