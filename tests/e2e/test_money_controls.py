"""Money you can trust, over HTTP: holds on routing (402 when the worst case does not fit), the balance's
`held`/`available`/`credit_limit`, `max_duration` and `billed_duration` on calls, the admin's
`PATCH /admin/accounts/{id}`, and no bidding on one's own auction."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.api_client import ApiClient, User
from tests.e2e.assertions import assert_error

pytestmark = pytest.mark.business_hours  # outbound calls: screened against the TCPA window on a stage

CALL = {"from_number": "+14155551234", "to_number": "+18005551234"}


def auctioned_call(api: ApiClient, buyer: User, seller: User, amount: float, **call: Any) -> str:
    created = api.post("/calls", {**CALL, **call}, buyer)
    assert created.status_code == 201, created.text
    call_id = str(created.json()["id"])
    auction = api.post("/auctions", {"call_id": call_id, "duration": 600}, buyer)
    assert auction.status_code == 201, auction.text
    bid = api.post("/bids", {"auction_id": auction.json()["id"], "amount": amount}, seller)
    assert bid.status_code == 201, bid.text
    return call_id


def balance(api: ApiClient, user: User) -> dict[str, Any]:
    response = api.get("/account/balance", user)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_routing_holds_the_worst_case_and_completion_bills_at_most_max_duration(
    api: ApiClient, buyer: User, seller: User
):
    call_id = auctioned_call(api, buyer, seller, 10.00, max_duration=300)
    assert api.get(f"/calls/{call_id}", buyer).json()["max_duration"] == 300
    routed = api.post(f"/calls/{call_id}/route", None, buyer)
    assert routed.status_code == 200, routed.text
    assert balance(api, buyer) == {
        "balance": 1000.0,
        "held": 50.0,  # 10.00 x 5 started minutes of max_duration
        "available": 950.0,
        "credit_limit": 0,
        "currency": "USD",
    }
    for status in ("ringing", "in_progress"):
        assert api.patch(f"/calls/{call_id}/status", {"status": status}, buyer).status_code == 200
    completed = api.post(f"/calls/{call_id}/complete", {"duration": 86400}, buyer)
    assert completed.status_code == 200, completed.text
    assert (completed.json()["duration"], completed.json()["billed_duration"]) == (86400, 300)
    assert completed.json()["cost"] == 50.0
    assert balance(api, buyer)["held"] == 0 and balance(api, buyer)["balance"] == 950.0
    assert balance(api, seller)["balance"] == 50.0


def test_a_route_that_does_not_fit_is_402_and_changes_nothing(api: ApiClient, buyer: User, seller: User):
    call_id = auctioned_call(api, buyer, seller, 1000.00)  # default max_duration 1800 s: 30,000.00 held
    assert_error(api.post(f"/calls/{call_id}/route", None, buyer), 402, "INSUFFICIENT_FUNDS")
    assert balance(api, buyer)["held"] == 0
    assert api.get(f"/calls/{call_id}", buyer).json()["status"] == "pending"


def test_colluding_routes_in_parallel_move_at_most_the_available_funds(api: ApiClient, buyer: User, seller: User):
    calls = [auctioned_call(api, buyer, seller, 1000.00, max_duration=60) for _ in range(5)]
    with ThreadPoolExecutor(5) as pool:
        statuses = list(pool.map(lambda c: api.post(f"/calls/{c}/route", None, buyer).status_code, calls))
    assert sorted(statuses) == [200, 402, 402, 402, 402]
    assert balance(api, buyer)["available"] == 0


@pytest.mark.parametrize("max_duration", [0, 14401, 1.5, "60", True])
def test_max_duration_is_a_whole_number_of_seconds_from_1_to_14400(api: ApiClient, buyer: User, max_duration: Any):
    response = api.post("/calls", {**CALL, "max_duration": max_duration}, buyer)
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert "max_duration" in str(error)


def test_an_admin_sets_a_credit_limit_and_the_buyer_can_spend_it(api: ApiClient, admin: User, buyer: User):
    changed = api.patch(f"/admin/accounts/{buyer.id}", {"credit_limit": 250.5}, admin)
    assert changed.status_code == 200, changed.text
    assert changed.json()["credit_limit"] == 250.5 and changed.json()["status"] == "active"
    assert balance(api, buyer)["available"] == 1250.5
    assert api.get("/profile", buyer).json()["credit_limit"] == 250.5


def test_admin_account_changes_are_validated(api: ApiClient, admin: User, buyer: User, seller: User):
    path = f"/admin/accounts/{buyer.id}"
    for body in ({"credit_limit": -1}, {"credit_limit": 0.001}, {"status": "banned"}, {"credit_limit": 10**7}):
        assert_error(api.patch(path, body, admin), 400, "VALIDATION_ERROR")
    assert_error(api.patch(f"/admin/accounts/{uuid.uuid4()}", {"credit_limit": 1}, admin), 404, "ACCOUNT_NOT_FOUND")
    assert_error(api.patch("/admin/accounts/nope", {"credit_limit": 1}, admin), 400, "INVALID_UUID")
    for user in (buyer, seller):
        assert_error(api.patch(path, {"credit_limit": 1}, user), 403, "FORBIDDEN")
    assert api.patch(path, {}, admin).status_code == 200  # nothing to change is not an error


def test_a_limit_backing_a_call_in_flight_cannot_be_lowered(api: ApiClient, admin: User, buyer: User, seller: User):
    assert api.patch(f"/admin/accounts/{buyer.id}", {"credit_limit": 500}, admin).status_code == 200
    call_id = auctioned_call(api, buyer, seller, 25.00, max_duration=3600)  # 1,500.00 held
    assert api.post(f"/calls/{call_id}/route", None, buyer).status_code == 200
    assert_error(api.patch(f"/admin/accounts/{buyer.id}", {"credit_limit": 100}, admin), 409, "CONFLICT")
    assert api.patch(f"/admin/accounts/{buyer.id}", {"credit_limit": 600}, admin).status_code == 200


def test_nobody_bids_on_their_own_auction(api: ApiClient, admin: User):
    assert api.post(f"/admin/accounts/{admin.id}/credit", {"amount": 100, "reason": "float"}, admin).status_code == 200
    created = api.post("/calls", CALL, admin)
    assert created.status_code == 201, created.text
    auction = api.post("/auctions", {"call_id": created.json()["id"], "duration": 600}, admin).json()
    assert_error(api.post("/bids", {"auction_id": auction["id"], "amount": 5}, admin), 403, "FORBIDDEN")
