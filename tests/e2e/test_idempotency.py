"""Idempotency-Key on POST: retries replay the first response; a different body is a conflict."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.api_client import PASSWORD, ApiClient, User, unique_email
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


def test_a_replayed_sign_up_answers_the_original_without_the_one_time_api_key(api: ApiClient):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"email": unique_email("bot"), "company_name": "Bot", "type": "buyer"}  # no password: an api_key
    first = api.post("/accounts", body, headers=key)
    replay = api.post("/accounts", body, headers=key)
    assert first.status_code == replay.status_code == 201
    assert first.json()["api_key"].startswith("dce_")
    assert replay.json() == {**first.json(), "api_key": None}
    assert "idempotent-replayed" not in first.headers
    assert replay.headers["idempotent-replayed"] == "true"
    assert api.get("/profile", headers={"X-API-Key": first.json()["api_key"]}).status_code == 200


def test_a_replayed_api_key_creation_answers_the_original_without_the_secret(api: ApiClient, buyer: User):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = api.post("/api-keys", {"name": "ci"}, buyer, headers=key)
    replay = api.post("/api-keys", {"name": "ci"}, buyer, headers=key)
    assert first.status_code == replay.status_code == 201
    assert replay.json() == {**first.json(), "api_key": None}
    assert replay.headers["idempotent-replayed"] == "true"
    assert [k["id"] for k in api.get("/api-keys", buyer).json()].count(first.json()["id"]) == 1


def test_every_replay_is_marked(api: ApiClient, buyer: User):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    api.post("/calls", CALL, buyer, headers=key)
    assert api.post("/calls", CALL, buyer, headers=key).headers["idempotent-replayed"] == "true"


def test_log_in_and_refresh_ignore_the_key_each_call_issues_new_tokens(api: ApiClient, buyer: User):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    login = {"email": buyer.email, "password": PASSWORD}
    first, second = (api.post("/auth/login", login, headers=key) for _ in range(2))
    assert first.status_code == second.status_code == 200
    assert "idempotent-replayed" not in second.headers
    assert first.json()["access_token"] != second.json()["access_token"]
    assert first.json()["refresh_token"] != second.json()["refresh_token"]
    refreshed = [
        api.post("/auth/refresh", {"refresh_token": tokens.json()["refresh_token"]}, headers=key)
        for tokens in (first, second)
    ]
    assert [r.status_code for r in refreshed] == [200, 200]
    assert refreshed[0].json()["refresh_token"] != refreshed[1].json()["refresh_token"]


def test_a_forged_x_forwarded_for_does_not_change_an_anonymous_callers_idempotency_scope(api: ApiClient):
    """Anonymous keys are scoped to the client IP: the address the gateway saw, not a header anyone writes.
    A retry claiming another address is still the same caller's retry (a replay, not a second sign-up)."""
    key = str(uuid.uuid4())
    body = {"email": unique_email("xff"), "password": PASSWORD, "company_name": "Acme", "type": "buyer"}
    first = api.post("/accounts", body, headers={"Idempotency-Key": key, "X-Forwarded-For": "198.51.100.1"})
    retry = api.post("/accounts", body, headers={"Idempotency-Key": key, "X-Forwarded-For": "198.51.100.2"})
    assert first.status_code == retry.status_code == 201, retry.text  # not 409 EMAIL_TAKEN
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["idempotent-replayed"] == "true"
