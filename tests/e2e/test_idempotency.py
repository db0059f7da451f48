"""Idempotency-Key on POST: retries replay the first response; a different body is a conflict."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.api_client import ApiClient, User
from tests.e2e.assertions import assert_error

# Outbound calls (the default direction) are screened against the TCPA window in the real time of a remote
# stage (locally the clock is pinned): see the `business_hours` marker.
pytestmark = pytest.mark.business_hours

CALL = {"from_number": "+14155551234", "to_number": "+18005551234"}


def test_a_retried_create_returns_the_first_response_and_creates_once(api: ApiClient, buyer: User):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = api.post("/calls", CALL, buyer, headers=key)
    second = api.post("/calls", CALL, buyer, headers=key)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert [c["id"] for c in api.get("/calls", buyer).json()] == [first.json()["id"]]


def test_the_same_key_with_another_body_is_a_conflict(api: ApiClient, buyer: User):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    assert api.post("/calls", CALL, buyer, headers=key).status_code == 201
    other = {**CALL, "to_number": "+18005550000"}
    assert_error(api.post("/calls", other, buyer, headers=key), 409, "IDEMPOTENCY_CONFLICT")


def test_keys_are_scoped_to_the_caller(api: ApiClient, buyer: User):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    mine = api.post("/calls", CALL, buyer, headers=key).json()
    theirs = api.post("/calls", CALL, api.sign_up("buyer"), headers=key).json()
    assert mine["id"] != theirs["id"]


def test_a_malformed_key_is_refused(api: ApiClient, buyer: User):
    for bad in ("", "x" * 129, "spaces are bad", "<script>"):
        assert_error(api.post("/calls", CALL, buyer, headers={"Idempotency-Key": bad}), 400, "VALIDATION_ERROR")


def test_completing_a_call_with_a_retried_key_charges_once(api: ApiClient, buyer: User, seller: User):
    call_id = api.post("/calls", CALL, buyer).json()["id"]
    auction = api.post("/auctions", {"call_id": call_id, "duration": 600}, buyer).json()
    api.post("/bids", {"auction_id": auction["id"], "amount": 4.00}, seller)
    api.post(f"/calls/{call_id}/route", None, buyer)
    for status in ("ringing", "in_progress"):
        api.patch(f"/calls/{call_id}/status", {"status": status}, buyer)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    responses = [api.post(f"/calls/{call_id}/complete", {"duration": 61}, buyer, headers=key) for _ in range(3)]
    assert {r.status_code for r in responses} == {200}
    assert len({r.text for r in responses}) == 1
    assert api.get("/account/balance", seller).json()["balance"] == 8.00
