"""Bid profiles over HTTP: CRUD with partial merge, ownership, and automatic bids."""

from __future__ import annotations

from tests.e2e.api_client import ApiClient, User
from tests.e2e.assertions import assert_error

SEED_PROFILE = {
    "criteria": {
        "geography": {"countries": ["US"], "states": ["CA", "NY", "TX"]},
        "call_type": ["sales", "support"],
        "max_budget": 150.00,
        "keywords": ["insurance", "auto", "home"],
    },
    "active": True,
}


def test_a_seller_creates_updates_lists_and_deletes_a_profile(api: ApiClient, seller: User):
    created = api.post("/bid-profiles", SEED_PROFILE, seller)
    assert created.status_code == 201, created.text
    profile = created.json()
    assert profile["seller_id"] == seller.id and profile["active"] is True
    updated = api.request("PUT", f"/bid-profiles/{profile['id']}", seller, json={"criteria": {"max_budget": 200.00}})
    assert updated.status_code == 200
    criteria = updated.json()["criteria"]
    assert criteria["max_budget"] == 200.00
    assert criteria["geography"] == {"countries": ["US"], "states": ["CA", "NY", "TX"]}
    assert criteria["keywords"] == ["insurance", "auto", "home"]
    listed = api.get("/bid-profiles", seller).json()
    assert [p["id"] for p in listed] == [profile["id"]]
    assert api.get(f"/bid-profiles/{profile['id']}", seller).json()["criteria"]["max_budget"] == 200.00
    assert_error(api.get(f"/bid-profiles/{profile['id']}", api.sign_up("seller")), 404, "BID_PROFILE_NOT_FOUND")
    assert api.delete(f"/bid-profiles/{profile['id']}", seller).status_code == 204
    assert_error(api.get(f"/bid-profiles/{profile['id']}", seller), 404, "BID_PROFILE_NOT_FOUND")


def test_invalid_profiles_are_refused(api: ApiClient, seller: User):
    for body in (
        {"criteria": {"max_budget": -1}},
        {"criteria": {"geography": {"countries": ["usa"]}}},
        {"criteria": {"keywords": ["<script>"]}},
        {"auto_bid": {"amount": 0}},
    ):
        assert_error(api.post("/bid-profiles", body, seller), 400, "VALIDATION_ERROR")


def test_matching_profiles_bid_automatically_when_an_auction_opens(api: ApiClient, buyer: User):
    matching, over_budget, inactive = api.sign_up("seller"), api.sign_up("seller"), api.sign_up("seller")
    sales_us = {"geography": {"countries": ["US"]}, "call_type": ["sales"], "max_budget": 50.00}
    api.post("/bid-profiles", {"criteria": sales_us, "auto_bid": {"amount": 12.50}}, matching)
    api.post(
        "/bid-profiles", {"criteria": {**sales_us, "max_budget": 5.00}, "auto_bid": {"amount": 12.50}}, over_budget
    )
    api.post("/bid-profiles", {"criteria": sales_us, "auto_bid": {"amount": 30.00}, "active": False}, inactive)
    call = api.post(
        "/calls",
        {"from_number": "+14155551234", "to_number": "+18005551234", "direction": "inbound", "call_type": "sales"},
        buyer,
    ).json()
    auction = api.post("/auctions", {"call_id": call["id"], "reserve_price": 1.00, "duration": 600}, buyer)
    assert auction.status_code == 201
    bids = api.get(f"/auctions/{auction.json()['id']}", buyer).json()["bids"]
    by_seller = {b["seller_id"]: b["amount"] for b in bids}
    assert by_seller.get(matching.id) == 12.50
    assert over_budget.id not in by_seller and inactive.id not in by_seller


def test_the_state_comes_from_the_consumers_area_code(api: ApiClient, buyer: User):
    california, new_york = api.sign_up("seller"), api.sign_up("seller")
    for seller, state in ((california, "CA"), (new_york, "NY")):
        criteria = {"geography": {"countries": ["US"], "states": [state]}, "call_type": ["state-test"]}
        api.post("/bid-profiles", {"criteria": criteria, "auto_bid": {"amount": 3.00}}, seller)
    call = api.post(
        "/calls",
        {"from_number": "+14155551234", "to_number": "+18005551234", "direction": "inbound", "call_type": "state-test"},
        buyer,
    ).json()
    auction = api.post("/auctions", {"call_id": call["id"], "duration": 600}, buyer).json()
    sellers = {b["seller_id"] for b in api.get(f"/auctions/{auction['id']}", buyer).json()["bids"]}
    assert california.id in sellers and new_york.id not in sellers
