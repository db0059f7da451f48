"""The seed's multi-seller flow over HTTP, and the marketplace's errors."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.api_client import ApiClient, User
from tests.e2e.assertions import all_pages, assert_error

# Outbound calls (the default direction) are screened against the TCPA window in the real time of a remote
# stage (locally the clock is pinned): see the `business_hours` marker.
pytestmark = pytest.mark.business_hours

CALL = {"from_number": "+14155551234", "to_number": "+18005551234"}


def new_call(api: ApiClient, buyer: User) -> str:
    response = api.post("/calls", CALL, buyer)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def new_auction(api: ApiClient, buyer: User, **fields: Any) -> dict[str, Any]:
    response = api.post("/auctions", {"call_id": new_call(api, buyer), "duration": 600, **fields}, buyer)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_three_sellers_bid_the_highest_wins_and_the_call_is_billed_exactly(api: ApiClient, buyer: User):
    sellers = [api.sign_up("seller") for _ in range(3)]
    call_id = new_call(api, buyer)
    created = api.post("/auctions", {"call_id": call_id, "duration": 10}, buyer)
    assert created.status_code == 201
    auction = created.json()
    assert auction["status"] == "open" and auction["call_id"] == call_id

    def bid(pair: tuple[User, float]) -> int:
        return api.post("/bids", {"auction_id": auction["id"], "amount": pair[1]}, pair[0]).status_code

    with ThreadPoolExecutor(3) as pool:
        statuses = list(pool.map(bid, zip(sellers, [15.50, 8.25, 22.00], strict=True)))
    assert statuses == [201, 201, 201]

    completed = api.post(f"/auctions/{auction['id']}/complete", None, buyer)
    assert completed.status_code == 200
    body = completed.json()
    assert body["status"] == "completed"
    assert body["winning_bid"]["amount"] == 22.00 and body["winning_bid"]["seller_id"] == sellers[2].id

    routed = api.post(f"/calls/{call_id}/route", None, buyer)
    assert routed.status_code == 200
    assert (routed.json()["status"], routed.json()["seller_id"]) == ("queued", sellers[2].id)
    for status in ("ringing", "in_progress"):
        assert api.patch(f"/calls/{call_id}/status", {"status": status}, buyer).status_code == 200
    done = api.post(f"/calls/{call_id}/complete", {"duration": 240}, buyer)
    assert done.status_code == 200
    assert done.json()["cost"] == 88.00 and done.json()["status"] == "completed"

    assert api.get("/account/balance", buyer).json()["balance"] == 912.00
    assert api.get("/account/balance", sellers[2]).json()["balance"] == 88.00
    [payout] = api.get("/transactions", sellers[2]).json()
    assert (payout["type"], payout["amount"], payout["call_id"]) == ("payout", 88.00, call_id)
    charge = api.get("/transactions", buyer).json()[0]
    assert (charge["type"], charge["amount"], charge["balance_after"]) == ("charge", -88.00, 912.00)


def test_a_seller_sees_a_sealed_auction_and_another_buyer_sees_nothing(api: ApiClient, buyer: User):
    auction = new_auction(api, buyer)
    first, second = api.sign_up("seller"), api.sign_up("seller")
    for seller, amount in ((first, 5.00), (second, 9.00)):
        assert api.post("/bids", {"auction_id": auction["id"], "amount": amount}, seller).status_code == 201
    sealed = api.get(f"/auctions/{auction['id']}", first).json()
    assert sealed["bid_count"] == 2
    assert [b["amount"] for b in sealed["bids"]] == [5.00]
    full = api.get(f"/auctions/{auction['id']}", buyer).json()
    assert sorted(b["amount"] for b in full["bids"]) == [5.00, 9.00]
    assert_error(api.get(f"/auctions/{auction['id']}", api.sign_up("buyer")), 404, "AUCTION_NOT_FOUND")


def test_auction_creation_errors(api: ApiClient, buyer: User):
    call_id = new_call(api, buyer)
    negative = api.post("/auctions", {"call_id": call_id, "reserve_price": -1}, buyer)
    error = assert_error(negative, 400, "VALIDATION_ERROR")
    assert "Reserve price cannot be negative" in error["message"]
    assert_error(api.post("/auctions", {"call_id": call_id, "duration": 0}, buyer), 400, "VALIDATION_ERROR")
    assert_error(api.post("/auctions", {"call_id": call_id, "duration": 3601}, buyer), 400, "VALIDATION_ERROR")
    assert api.post("/auctions", {"call_id": call_id}, buyer).status_code == 201
    assert_error(api.post("/auctions", {"call_id": call_id}, buyer), 409, "AUCTION_EXISTS")
    other = api.sign_up("buyer")
    assert_error(api.post("/auctions", {"call_id": call_id}, other), 404, "CALL_NOT_FOUND")
    assert_error(api.post("/auctions", {"call_id": "not-a-uuid"}, buyer), 400, "INVALID_UUID")


def test_bid_errors_below_reserve_not_higher_and_closed(api: ApiClient, buyer: User, seller: User):
    auction = new_auction(api, buyer, reserve_price=5.00)
    path = {"auction_id": auction["id"]}
    assert_error(api.post("/bids", {**path, "amount": 4.99}, seller), 409, "BID_BELOW_RESERVE")
    assert api.post("/bids", {**path, "amount": 6.00}, seller).status_code == 201
    assert_error(api.post("/bids", {**path, "amount": 6.00}, seller), 409, "BID_NOT_HIGHER")
    assert api.post("/bids", {**path, "amount": 6.01}, seller).status_code == 201
    for amount in (0, 1000.01, 1.001, -3):
        assert_error(api.post("/bids", {**path, "amount": amount}, seller), 400, "VALIDATION_ERROR")
    assert api.post(f"/auctions/{auction['id']}/complete", None, buyer).status_code == 200
    assert_error(api.post("/bids", {**path, "amount": 50.00}, seller), 409, "AUCTION_CLOSED")
    missing = {"auction_id": "00000000-0000-4000-8000-000000000000", "amount": 5}
    assert_error(api.post("/bids", missing, seller), 404, "AUCTION_NOT_FOUND")


def test_a_bid_can_be_withdrawn_while_the_auction_is_open(api: ApiClient, buyer: User, seller: User):
    auction = new_auction(api, buyer)
    bid = api.post("/bids", {"auction_id": auction["id"], "amount": 3.00}, seller).json()
    assert_error(api.delete(f"/bids/{bid['id']}", api.sign_up("seller")), 404, "BID_NOT_FOUND")
    assert api.delete(f"/bids/{bid['id']}", seller).status_code == 204
    [withdrawn] = api.get(f"/bids?auction_id={auction['id']}", seller).json()
    assert withdrawn["status"] == "withdrawn"
    assert_error(api.delete(f"/bids/{bid['id']}", seller), 400, "INVALID_STATE")


def test_a_bid_in_the_last_ten_seconds_extends_the_auction(api: ApiClient, buyer: User, seller: User):
    auction = api.post("/auctions", {"call_id": new_call(api, buyer), "duration": 5}, buyer).json()
    api.post("/bids", {"auction_id": auction["id"], "amount": 1.00}, seller)
    extended = api.get(f"/auctions/{auction['id']}", buyer).json()
    assert extended["ends_at"] > auction["ends_at"]


@pytest.mark.parametrize("bids", [0, 1])
def test_routing_needs_a_winning_bid_and_completion_needs_a_call_in_progress(api: ApiClient, buyer: User, bids: int):
    auction = new_auction(api, buyer)
    call_id = auction["call_id"]
    assert_error(api.post(f"/calls/{call_id}/complete", {"duration": 180}, buyer), 400, "INVALID_STATE")
    if not bids:
        assert_error(api.post(f"/calls/{call_id}/route", None, buyer), 400, "NO_BIDS_AVAILABLE")
        return
    seller = api.sign_up("seller")
    api.post("/bids", {"auction_id": auction["id"], "amount": 2.50}, seller)
    assert api.post(f"/calls/{call_id}/route", None, buyer).status_code == 200
    assert_error(api.post(f"/calls/{call_id}/route", None, buyer), 400, "INVALID_STATE")
    assert api.get(f"/calls/{call_id}", seller).status_code == 200  # routed to them: visible now
    assert [c["id"] for c in api.get("/calls", seller).json()] == [call_id]


def test_a_call_without_an_auction_cannot_be_routed(api: ApiClient, buyer: User):
    assert_error(api.post(f"/calls/{new_call(api, buyer)}/route", None, buyer), 400, "NO_BIDS_AVAILABLE")


def test_open_auctions_are_listed_soonest_to_end_first_across_pages(api: ApiClient, buyer: User):
    """Over HTTP: the sharded listing's cursor survives the `Link` header, and pages of one go through
    every open auction of the buyer once, in the order they end."""
    opened = [new_auction(api, buyer, duration=duration)["id"] for duration in (900, 300, 600)]
    listed = [auction["id"] for auction in all_pages(api, "/auctions?limit=1", buyer)]
    assert listed == [opened[1], opened[2], opened[0]]
