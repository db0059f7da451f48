"""Compliance over HTTP (contract: Compliance, Calls), the seed's scenarios included: DNC add → call
403 → status shows it; TCPA hours set, read back, calls inside and outside the window; a CA
restriction blocks a 415 number until lifted.

Compliance settings are global, and TCPA needs a known "now": this module runs its own local exchange
(`python -m local`) with the compliance clock pinned by DCE_FIXED_NOW (honoured only when DCE_ENV is
local or test) and the contract's default velocity limit, so it never disturbs the shared server.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.api_client import ApiClient, User
from tests.e2e.assertions import assert_error
from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, local_stack

# Starts its own local exchange with DCE_FIXED_NOW (honoured only when DCE_ENV is local/test) and changes
# global compliance settings: nothing here can run against a shared, real-clock stage.
pytestmark = pytest.mark.local_only

# Wednesday 18 June 2025, 19:00 UTC: 12:00 in San Francisco, 15:00 in New York.
FIXED_NOW = "2025-06-18T19:00:00Z"
SF, NYC, CHICAGO = "+14155551234", "+12125551234", "+13125551234"
DEFAULT_HOURS = {"start_time": "08:00", "end_time": "21:00", "timezone": "America/New_York"}


@pytest.fixture(scope="module")
def stack() -> Iterator[ApiClient]:
    """A server of its own: these tests change global settings (TCPA hours, DNC) and pin the clock."""
    with local_stack(DCE_ENV="test", DCE_FIXED_NOW=FIXED_NOW, DCE_CALLS_PER_HOUR="100") as url:
        yield ApiClient(url)


@pytest.fixture(scope="module")
def officer(stack: ApiClient) -> User:
    return stack.admin(ADMIN_EMAIL, ADMIN_PASSWORD)


@pytest.fixture
def api(stack: ApiClient, officer: User) -> Iterator[ApiClient]:
    """The module's exchange, put back to the contract's defaults after each test."""
    yield stack
    stack.request("PUT", "/compliance/tcpa/hours", officer, json=DEFAULT_HOURS)
    for rule in stack.get("/compliance/geographic/restrictions", officer).json():
        code = rule["state"] or str(rule["country_code"])
        stack.delete(f"/compliance/geographic/restrictions/{code}", officer)
    for number in (SF, NYC, CHICAGO):
        stack.delete(f"/compliance/dnc/{number}", officer)


@pytest.fixture
def buyer(api: ApiClient) -> User:
    return api.sign_up("buyer")


def call(api: ApiClient, user: User, to: str = SF, **extra: str) -> httpx.Response:
    return api.post("/calls", {"from_number": NYC, "to_number": to, **extra}, user)


# --- the seed's scenarios ------------------------------------------------------------------------


def test_a_number_added_to_dnc_refuses_calls_and_its_status_shows_the_reason(api, officer, buyer):
    added = api.post("/compliance/dnc", {"phone_number": SF, "reason": "Customer request", "list": "internal"}, officer)
    assert added.status_code == 201, added.text
    error = assert_error(call(api, buyer), 403, "DNC_BLOCKED")
    assert "DNC" in error["message"]
    status = api.get("/compliance/dnc/%2B14155551234", buyer)
    assert status.status_code == 200
    assert status.json() == {
        "phone_number": SF,
        "is_dnc": True,
        "reason": "Customer request",
        "list": "internal",
        "expires_at": None,
    }


def test_tcpa_hours_are_set_and_read_back(api, officer, buyer):
    assert api.get("/compliance/tcpa/hours", buyer).json() == DEFAULT_HOURS
    hours = {"start_time": "09:00", "end_time": "20:00", "timezone": "America/Chicago"}
    updated = api.request("PUT", "/compliance/tcpa/hours", officer, json=hours)
    assert updated.status_code == 200 and updated.json() == hours
    assert api.get("/compliance/tcpa/hours", buyer).json() == hours


@pytest.mark.parametrize(
    ("start", "end", "status"),
    [("08:00", "21:00", 201), ("12:00", "12:01", 201), ("12:01", "21:00", 403), ("08:00", "12:00", 403)],
    ids=["inside", "first-minute", "before-start", "at-end"],
)
def test_a_call_inside_the_window_is_created_and_one_outside_is_a_tcpa_violation(
    api, officer, buyer, start, end, status
):
    hours = {"start_time": start, "end_time": end, "timezone": "America/New_York"}
    assert api.request("PUT", "/compliance/tcpa/hours", officer, json=hours).status_code == 200
    response = call(api, buyer, SF)  # 12:00 in San Francisco, the number's own zone
    if status == 201:
        assert response.status_code == 201, response.text
    else:
        assert_error(response, 403, "TCPA_VIOLATION")


def test_the_window_is_the_called_partys_local_time(api, officer, buyer):
    hours = {"start_time": "13:00", "end_time": "21:00", "timezone": "America/Los_Angeles"}
    api.request("PUT", "/compliance/tcpa/hours", officer, json=hours)
    assert call(api, buyer, NYC).status_code == 201  # 15:00 in New York
    assert_error(call(api, buyer, SF), 403, "TCPA_VIOLATION")  # 12:00 in San Francisco
    # A toll-free number spans every zone: the configured zone (Los Angeles, 12:00) decides.
    assert_error(call(api, buyer, "+18005551234"), 403, "TCPA_VIOLATION")


def test_a_ca_restriction_blocks_a_415_number_until_it_is_lifted(api, officer, buyer):
    restricted = api.post(
        "/compliance/geographic/restrictions", {"state": "CA", "restricted": True, "reason": "No licence"}, officer
    )
    assert restricted.status_code == 201, restricted.text
    assert [r["state"] for r in api.get("/compliance/geographic/restrictions", officer).json()] == ["CA"]
    error = assert_error(call(api, buyer, SF), 403, "GEO_RESTRICTED")
    assert "geographic restriction" in error["message"]
    assert call(api, buyer, NYC).status_code == 201
    assert api.delete("/compliance/geographic/restrictions/CA", officer).status_code == 204
    assert call(api, buyer, SF).status_code == 201


# --- more of the contract ------------------------------------------------------------------------


def test_an_inbound_call_is_checked_for_geography_on_its_from_number_only(api, officer, buyer):
    api.post("/compliance/dnc", {"phone_number": SF, "reason": "asked"}, officer)
    api.post("/compliance/geographic/restrictions", {"state": "NY", "reason": "No licence"}, officer)
    inbound = {"from_number": CHICAGO, "to_number": SF, "direction": "inbound"}
    assert api.post("/calls", inbound, buyer).status_code == 201  # DNC is for outbound calls
    blocked = api.post("/calls", {**inbound, "from_number": NYC}, buyer)
    assert_error(blocked, 403, "GEO_RESTRICTED")


def test_a_country_code_restriction_blocks_its_numbers(api, officer, buyer):
    body = {"country_code": 44, "reason": "UK not yet"}
    assert api.post("/compliance/geographic/restrictions", body, officer).status_code == 201
    assert_error(call(api, buyer, "+442079460958"), 403, "GEO_RESTRICTED")
    assert api.delete("/compliance/geographic/restrictions/44", officer).status_code == 204


def test_a_change_by_an_admin_holds_on_the_next_request_whichever_worker_serves_it(api, officer, buyer):
    for _ in range(3):  # the server runs two Lambda-like workers: alternate list and unlist
        assert api.post("/compliance/dnc", {"phone_number": CHICAGO, "reason": "asked"}, officer).status_code == 201
        assert_error(call(api, buyer, CHICAGO), 403, "DNC_BLOCKED")
        assert api.delete(f"/compliance/dnc/{CHICAGO}", officer).status_code == 204
        assert call(api, buyer, CHICAGO).status_code == 201


def test_more_than_100_calls_an_hour_from_one_buyer_is_fraud_suspected(api, buyer):
    for _ in range(100):
        assert call(api, buyer, NYC).status_code == 201
    assert_error(call(api, buyer, NYC), 403, "FRAUD_SUSPECTED")
    assert call(api, api.sign_up("buyer"), NYC).status_code == 201  # per buyer


def test_invalid_numbers_are_400(api, officer, buyer):
    assert_error(api.get("/compliance/dnc/4155551234", buyer), 400, "VALIDATION_ERROR")
    assert_error(
        api.post("/compliance/dnc", {"phone_number": "+1415", "reason": "x"}, officer), 400, "VALIDATION_ERROR"
    )
    error = assert_error(call(api, buyer, "+1415"), 400, "VALIDATION_ERROR")
    assert error["message"].startswith("Invalid to number")


def test_only_admins_change_compliance_and_everyone_reads_dnc_status_and_hours(api, officer):
    for role in ("buyer", "seller"):
        user = api.sign_up(role)
        assert_error(api.post("/compliance/dnc", {"phone_number": SF, "reason": "x"}, user), 403, "FORBIDDEN")
        assert_error(api.request("PUT", "/compliance/tcpa/hours", user, json=DEFAULT_HOURS), 403, "FORBIDDEN")
        assert_error(api.get("/compliance/geographic/restrictions", user), 403, "FORBIDDEN")
        assert api.get(f"/compliance/dnc/{SF}", user).json()["is_dnc"] is False
        assert api.get("/compliance/tcpa/hours", user).status_code == 200


def test_a_bulk_import_of_ten_thousand_numbers_reports_invalid_lines(api, officer, buyer):
    numbers = [f"+1312555{n:04d}" for n in range(9_999)] + ["+1312"]
    body = {"numbers": "\n".join(numbers), "reason": "Federal list", "list": "federal"}
    response = api.post("/compliance/dnc/import", body, officer)
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 9_999
    assert response.json()["invalid"] == [{"line": 10_000, "message": "Invalid phone number: not a valid phone number"}]
    assert api.get("/compliance/dnc/+13125559998", buyer).json()["list"] == "federal"
    assert_error(call(api, buyer, "+13125550042"), 403, "DNC_BLOCKED")
