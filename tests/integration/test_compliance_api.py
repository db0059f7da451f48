"""Compliance through the real handlers on moto (authorizer result injected): the admin's DNC list,
calling hours and restrictions, and the checks POST /calls runs before it writes anything.

The compliance clock is pinned by DCE_FIXED_NOW (tests/conftest.py): 12:00 in California."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from dce import bootstrap
from dce.adapters import aws
from dce.adapters.tables import CALLS, DNC
from dce.bootstrap import services
from dce.domain.accounts import Role
from dce.domain.compliance import DncList
from dce.domain.errors import DncBlocked
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount
from dce.services.calls import NewCall
from tests.round_trips import dynamodb_calls

SF, NYC = "+14155551234", "+12125551234"
CALL = {"from_number": NYC, "to_number": SF}


def principal(role: Role, email: str) -> Principal:
    account, _ = services().accounts.create(NewAccount(email=email, company_name="Acme", role=role, password="x" * 12))
    return Principal(account.id, role)


@pytest.fixture
def admin(aws: None) -> Principal:
    return principal(Role.ADMIN, "admin@example.com")


@pytest.fixture
def buyer(aws: None) -> Principal:
    return principal(Role.BUYER, "buyer@example.com")


def error_code(response: Any) -> str:
    return str(response.body["error"]["code"])


def stored_calls() -> int:
    return int(aws.table(CALLS).scan(Select="COUNT")["Count"])


# --- DNC -----------------------------------------------------------------------------------------


def test_listing_a_number_is_201_then_200_and_its_status_shows_it(call_api, admin, buyer):
    body = {"phone_number": SF, "reason": "asked not to be called", "list": "federal"}
    first = call_api("POST", "/compliance/dnc", body, as_=admin)
    assert first.status == 201, first.body
    assert first.body == {**body, "is_dnc": True, "expires_at": None}
    assert call_api("POST", "/compliance/dnc", body, as_=admin).status == 200
    for path in (f"/compliance/dnc/{SF}", "/compliance/dnc/%2B14155551234"):
        status = call_api("GET", path, as_=buyer)
        assert status.status == 200
        assert status.body["is_dnc"] is True and status.body["reason"] == "asked not to be called"
        assert status.body["list"] == "federal"


def test_an_unlisted_number_is_200_with_is_dnc_false(call_api, buyer):
    response = call_api("GET", f"/compliance/dnc/{NYC}", as_=buyer)
    assert response.status == 200
    assert response.body == {"phone_number": NYC, "is_dnc": False, "reason": None, "list": None, "expires_at": None}


def test_an_expiring_listing_shows_its_expiry_and_the_list_defaults_to_internal(call_api, admin):
    body = {"phone_number": SF, "reason": "for a month", "expires_at": "2025-07-18T19:00:00+02:00"}
    response = call_api("POST", "/compliance/dnc", body, as_=admin)
    assert response.status == 201, response.body
    assert response.body["list"] == "internal" and response.body["expires_at"] == "2025-07-18T17:00:00.000000Z"


def test_deleting_a_listing_is_204_and_lets_calls_through(call_api, admin, buyer):
    call_api("POST", "/compliance/dnc", {"phone_number": SF, "reason": "asked"}, as_=admin)
    assert error_code(call_api("POST", "/calls", CALL, as_=buyer)) == "DNC_BLOCKED"
    deleted = call_api("DELETE", "/compliance/dnc/%2B14155551234", as_=admin)
    assert deleted.status == 204 and deleted.raw == ""
    assert call_api("GET", f"/compliance/dnc/{SF}", as_=admin).body["is_dnc"] is False
    assert call_api("POST", "/calls", CALL, as_=buyer).status == 201
    assert call_api("DELETE", f"/compliance/dnc/{SF}", as_=admin).status == 204  # idempotent


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone_number": "4155551234", "reason": "x"}, "phone number"),
        ({"phone_number": "+1415", "reason": "x"}, "phone number"),
        ({"phone_number": SF, "reason": ""}, "reason"),
        ({"phone_number": SF, "reason": "<script>alert(1)</script>"}, "reason"),
        ({"phone_number": SF, "reason": "x", "list": "national"}, "list"),
        ({"phone_number": SF, "reason": "x", "expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"phone_number": SF, "reason": "x", "expires_at": "2030-01-01T00:00:00"}, "expires_at"),
    ],
    ids=["no-plus", "too-short", "empty-reason", "markup", "unknown-list", "past-expiry", "naive-expiry"],
)
def test_an_invalid_listing_is_400_naming_the_field(call_api, admin, body, field):
    response = call_api("POST", "/compliance/dnc", body, as_=admin)
    assert response.status == 400 and error_code(response) == "VALIDATION_ERROR"
    assert response.body["error"]["message"].startswith(f"Invalid {field}")
    assert "<script>" not in response.raw
    assert aws.table(DNC).scan(Select="COUNT")["Count"] == 0


@pytest.mark.parametrize("path", ["/compliance/dnc/4155551234", "/compliance/dnc/nope", "/compliance/dnc/%2B1415"])
def test_an_invalid_number_in_the_path_is_400(call_api, admin, path):
    for method in ("GET", "DELETE"):
        response = call_api(method, path, as_=admin)
        assert response.status == 400 and response.body["error"]["message"].startswith("Invalid phone number")


# --- bulk import ---------------------------------------------------------------------------------


def test_an_import_lists_the_valid_numbers_and_reports_invalid_lines(call_api, admin):
    numbers = f"{SF}\nnot a number\n{NYC},+13125551234\n\n+1312555"
    response = call_api("POST", "/compliance/dnc/import", {"numbers": numbers, "reason": "bulk"}, as_=admin)
    assert response.status == 200, response.body
    assert response.body["imported"] == 3 and response.body["invalid_count"] == 2
    assert [i["line"] for i in response.body["invalid"]] == [2, 5]
    assert "not a number" not in response.raw
    assert call_api("GET", "/compliance/dnc/+13125551234", as_=admin).body["is_dnc"] is True


def test_an_import_of_more_than_ten_thousand_numbers_is_refused_whole(call_api, admin):
    numbers = "\n".join(f"+1415555{n:04d}" for n in range(10_000)) + f"\n{NYC}"
    response = call_api("POST", "/compliance/dnc/import", {"numbers": numbers, "reason": "bulk"}, as_=admin)
    assert response.status == 400 and "at most 10000" in response.body["error"]["message"]
    assert aws.table(DNC).scan(Select="COUNT")["Count"] == 0


def test_only_the_import_accepts_a_body_over_64_kib(call_api, admin):
    padded = json.dumps({"phone_number": SF, "reason": "x", "pad": "x" * 70_000}).encode()
    assert error_code(call_api("POST", "/compliance/dnc", padded, as_=admin)) == "PAYLOAD_TOO_LARGE"
    numbers = "\n".join(f"+1415555{n:04d}" for n in range(5_000))  # 65 KB of numbers
    accepted = call_api("POST", "/compliance/dnc/import", {"numbers": numbers, "reason": "bulk"}, as_=admin)
    assert accepted.status == 200 and accepted.body["imported"] == 5_000
    huge = json.dumps({"numbers": "\n" * 270_000, "reason": "x"}).encode()
    too_large = call_api("POST", "/compliance/dnc/import", huge, as_=admin)
    assert error_code(too_large) == "PAYLOAD_TOO_LARGE" and "256 KiB" in too_large.body["error"]["message"]


# --- hours and restrictions ----------------------------------------------------------------------


def test_the_tcpa_hours_default_then_read_back_what_was_set(call_api, admin, buyer):
    default = {"start_time": "08:00", "end_time": "21:00", "timezone": "America/New_York"}
    assert call_api("GET", "/compliance/tcpa/hours", as_=buyer).body == default
    hours = {"start_time": "09:00", "end_time": "20:30", "timezone": "America/Chicago"}
    assert call_api("PUT", "/compliance/tcpa/hours", hours, as_=admin).body == hours
    assert call_api("GET", "/compliance/tcpa/hours", as_=buyer).body == hours


@pytest.mark.parametrize(
    "change",
    [{"start_time": "8:00"}, {"end_time": "07:00"}, {"timezone": "Mars/Base"}, {"timezone": "../etc/passwd"}, {}],
    ids=["short-time", "end-before-start", "unknown-zone", "path-zone", "missing"],
)
def test_invalid_tcpa_hours_are_400_and_change_nothing(call_api, admin, change):
    body = {"start_time": "08:00", "end_time": "21:00", "timezone": "America/New_York", **change} if change else {}
    response = call_api("PUT", "/compliance/tcpa/hours", body, as_=admin)
    assert response.status == 400 and error_code(response) == "VALIDATION_ERROR"
    assert "Mars" not in response.raw and "passwd" not in response.raw
    assert call_api("GET", "/compliance/tcpa/hours", as_=admin).body["timezone"] == "America/New_York"


def test_restrictions_are_created_listed_and_lifted(call_api, admin):
    state = call_api("POST", "/compliance/geographic/restrictions", {"state": "ca", "reason": "no licence"}, as_=admin)
    assert state.status == 201 and state.body["state"] == "CA" and state.body["restricted"] is True
    country = {"country_code": 44, "restricted": True, "reason": "UK later"}
    assert call_api("POST", "/compliance/geographic/restrictions", country, as_=admin).status == 201
    listed = call_api("GET", "/compliance/geographic/restrictions", as_=admin).body
    assert {(r["state"], r["country_code"]) for r in listed} == {("CA", None), (None, 44)}
    for code in ("CA", "44"):
        assert call_api("DELETE", f"/compliance/geographic/restrictions/{code}", as_=admin).status == 204
    assert call_api("GET", "/compliance/geographic/restrictions", as_=admin).body == []


@pytest.mark.parametrize(
    "body",
    [
        {"state": "ZZ", "reason": "x"},
        {"state": "CA", "country_code": 1, "reason": "x"},
        {"reason": "x"},
        {"country_code": 999, "reason": "x"},
        {"state": "CA"},
    ],
    ids=["unknown-state", "both", "neither", "unknown-code", "no-reason"],
)
def test_an_invalid_restriction_is_400(call_api, admin, body):
    response = call_api("POST", "/compliance/geographic/restrictions", body, as_=admin)
    assert response.status == 400 and error_code(response) == "VALIDATION_ERROR"


def test_lifting_an_invalid_region_is_400(call_api, admin):
    assert call_api("DELETE", "/compliance/geographic/restrictions/ZZ", as_=admin).status == 400


# --- the checks on POST /calls -------------------------------------------------------------------


def test_a_restricted_state_refuses_the_call_with_geographic_restriction_until_lifted(call_api, admin, buyer):
    call_api("POST", "/compliance/geographic/restrictions", {"state": "CA", "reason": "x"}, as_=admin)
    refused = call_api("POST", "/calls", CALL, as_=buyer)
    assert refused.status == 403 and error_code(refused) == "GEO_RESTRICTED"
    assert "geographic restriction" in refused.body["error"]["message"]
    assert stored_calls() == 0
    call_api("DELETE", "/compliance/geographic/restrictions/CA", as_=admin)
    assert call_api("POST", "/calls", CALL, as_=buyer).status == 201


def test_hours_that_exclude_the_current_time_refuse_the_call(call_api, admin, buyer):
    hours = {"start_time": "12:01", "end_time": "21:00", "timezone": "America/New_York"}
    call_api("PUT", "/compliance/tcpa/hours", hours, as_=admin)
    refused = call_api("POST", "/calls", CALL, as_=buyer)
    assert refused.status == 403 and error_code(refused) == "TCPA_VIOLATION"
    assert stored_calls() == 0


def test_the_velocity_limit_refuses_the_call_after_the_limit(call_api, buyer, monkeypatch):
    monkeypatch.setenv("DCE_CALLS_PER_HOUR", "2")
    bootstrap.reset()
    assert [call_api("POST", "/calls", CALL, as_=buyer).status for _ in range(2)] == [201, 201]
    refused = call_api("POST", "/calls", CALL, as_=buyer)
    assert refused.status == 403 and error_code(refused) == "FRAUD_SUSPECTED"
    assert stored_calls() == 2


def test_when_the_check_cannot_be_made_the_call_is_refused_and_nothing_is_written(call_api, buyer, monkeypatch):
    services()  # build (and cache) the clients the handler will use

    def fail(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, "BatchGetItem")

    monkeypatch.setattr(aws.dynamodb().meta.client, "batch_get_item", fail)
    response = call_api("POST", "/calls", CALL, as_=buyer)
    assert response.status == 503 and error_code(response) == "COMPLIANCE_UNAVAILABLE"
    assert "injected" not in response.raw
    assert stored_calls() == 0


def test_invalid_numbers_are_400_before_any_compliance_read(call_api, buyer):
    with dynamodb_calls() as calls:
        response = call_api("POST", "/calls", {**CALL, "to_number": "+1415"}, as_=buyer)
    assert response.status == 400 and response.body["error"]["message"].startswith("Invalid to number")
    assert "BatchGetItem" not in calls


def test_creating_a_call_costs_the_account_read_one_compliance_read_the_counter_and_the_write(buyer):
    with dynamodb_calls() as calls:
        services().calls.create(buyer, NewCall(NYC, SF))
    assert calls == {"GetItem": 1, "BatchGetItem": 1, "UpdateItem": 1, "PutItem": 1}


def test_an_admins_change_holds_on_the_very_next_request_of_every_instance(admin, buyer):
    instance_a, instance_b = bootstrap.build(), bootstrap.build()  # two Lambda instances, warm
    instance_b.calls.create(buyer, NewCall(NYC, SF))
    instance_a.compliance.add_dnc(SF, "asked", DncList.INTERNAL, None)
    with pytest.raises(DncBlocked):
        instance_b.calls.create(buyer, NewCall(NYC, SF))
    instance_a.compliance.remove_dnc(SF)
    instance_b.calls.create(buyer, NewCall(NYC, SF))
