"""The README's walk-through over HTTP: sign up, log in, create a call, read it back."""

from __future__ import annotations

import pytest

from tests.e2e.api_client import PASSWORD, ApiClient, unique_email


@pytest.mark.business_hours  # creates an outbound call
def test_sign_up_log_in_create_a_call_and_read_it_back(api: ApiClient):
    email = unique_email("walk")
    signup = api.post("/accounts", {"email": email, "password": PASSWORD, "company_name": "Acme", "type": "buyer"})
    assert signup.status_code == 201
    tokens = api.login(email)
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    created = api.post("/calls", {"from_number": "+14155551234", "to_number": "+18005551234"}, headers=auth)
    assert created.status_code == 201, created.text
    call = created.json()
    assert call["status"] == "pending" and call["direction"] == "outbound"
    fetched = api.get(f"/calls/{call['id']}", headers=auth)
    assert fetched.status_code == 200
    assert fetched.json() == call
    assert fetched.headers["x-request-id"]


def test_health_needs_no_auth(api: ApiClient):
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
