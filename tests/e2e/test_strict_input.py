"""Strict input (contract: Basics, "Strict input") over HTTP on the local exchange: money is a JSON number read
exactly from the request text, every body is a JSON object, free text is plain text stored NFC, and
messages use the contract's words. Every response is also checked against the OpenAPI document.

The handler-level sweep of every money field, body route and free-text field is
tests/integration/test_strict_input_api.py; this file sends the same attacks as raw bytes over the wire."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest

from dce.api.routes import ROUTES, Route
from tests.contract.openapi_contract import document
from tests.e2e.api_client import PASSWORD, ApiClient, User, unique_email
from tests.e2e.assertions import assert_error

pytestmark = pytest.mark.business_hours  # creates outbound calls (screened against a stage's real clock)

DOC = document()
JSON = {"Content-Type": "application/json"}
SF, NYC = "+14155551234", "+12125551234"
REFUSED_MONEY = {
    "string": '"10"',
    "padded string": '" 5 "',
    "arabic-indic digit": '"\u0665"',
    "true": "true",
    "huge": "1e400",
    "NaN": "NaN",
    "Infinity": "Infinity",
    "a fraction of a cent": "0.00999999999999999999",
    "three places": "1.005",
}
NOT_OBJECTS = {"array": '[{"a": 1}]', "string": '"text"', "number": "42", "null": "null"}
FORBIDDEN = {"C0": "\x01", "C1": "\x85", "RLO": "\u202e", "LRI": "\u2066", "ZWSP": "\u200b", "BOM": "\ufeff"}
FORBIDDEN |= {"WJ": "\u2060", "LS": "\u2028"}


def send(api: ApiClient, method: str, path: str, text: str, user: User | None) -> httpx.Response:
    return api.request(method, path, user, content=text.encode(), headers=JSON)


def with_text(body: dict[str, Any], field: str, text: str) -> str:
    """`body` as JSON with `field` (top level or `a.b`) holding the raw JSON `text`."""
    marker = "@@value@@"
    target = body = json.loads(json.dumps(body))
    *parents, last = field.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = marker
    return json.dumps(body).replace(json.dumps(marker), text)


@pytest.fixture(scope="module")
def auction_id(api: ApiClient) -> str:
    buyer = api.sign_up("buyer")
    call = api.post("/calls", {"from_number": SF, "to_number": NYC}, buyer).json()
    return str(api.post("/auctions", {"call_id": call["id"], "duration": 3600}, buyer).json()["id"])


# --- money ---------------------------------------------------------------------------------------

MONEY_FIELDS = [
    "POST /bids amount",
    "POST /auctions reserve_price",
    "POST /admin/accounts/{id}/credit amount",
    "PATCH /admin/accounts/{id} credit_limit",
    "POST /bid-profiles criteria.max_budget",
    "POST /bid-profiles auto_bid.amount",
    "PUT /bid-profiles/{id} criteria.max_budget",
    "PUT /bid-profiles/{id} auto_bid.amount",
]


def money_request(api: ApiClient, key: str, admin: User, auction_id: str) -> tuple[str, dict[str, Any], User]:
    """A path, a valid body without the money field, and who may send it, for a fresh resource each time."""
    method, route, _ = key.split(" ")
    if route == "/bids":
        return "/bids", {"auction_id": auction_id}, api.sign_up("seller")  # one live bid per seller
    if route == "/auctions":
        buyer = api.sign_up("buyer")
        call = api.post("/calls", {"from_number": SF, "to_number": NYC}, buyer).json()
        return "/auctions", {"call_id": call["id"]}, buyer
    if route.startswith("/admin/accounts"):
        buyer = api.sign_up("buyer")
        path = route.replace("{id}", buyer.id)
        return path, {"reason": "goodwill"} if path.endswith("/credit") else {}, admin
    seller = api.sign_up("seller")
    # Inactive: a catch-all profile with an automatic bid would bid on every other test's auctions.
    if method == "PUT":
        return f"/bid-profiles/{api.post('/bid-profiles', {'active': False}, seller).json()['id']}", {}, seller
    return "/bid-profiles", {"active": False}, seller


@pytest.mark.parametrize("key", MONEY_FIELDS)
def test_money_is_a_json_number_in_whole_cents_and_nothing_else(api: ApiClient, admin: User, auction_id: str, key: str):
    method, _, field = key.split(" ")
    path, body, user = money_request(api, key, admin, auction_id)
    wrong = {}
    for label, text in REFUSED_MONEY.items():
        response = send(api, method, path, with_text(body, field, text), user)
        error = response.json().get("error", {}) if response.status_code == 400 else {}
        if error.get("code") != "VALIDATION_ERROR" or not str(error.get("message")).startswith(f"Invalid {field}: "):
            wrong[label] = response.text
    assert not wrong, wrong
    for text in ("10", "10.5", "10.50", "7.25"):
        path, body, user = money_request(api, key, admin, auction_id)
        response = send(api, method, path, with_text(body, field, text), user)
        assert response.status_code in (200, 201), (text, response.text)


def test_a_bid_amount_is_read_exactly_and_answered_as_a_json_number(api: ApiClient, seller: User, auction_id: str):
    refused = send(
        api, "POST", "/bids", with_text({"auction_id": auction_id}, "amount", "0.00999999999999999999"), seller
    )
    error = assert_error(refused, 400, "VALIDATION_ERROR")
    assert error["message"] == "Invalid amount: must be whole cents: at most 2 decimal places"
    assert api.get(f"/bids?auction_id={auction_id}", seller).json() == []  # never rounded to 0.01 and placed
    placed = send(api, "POST", "/bids", with_text({"auction_id": auction_id}, "amount", "10.50"), seller)
    assert placed.status_code == 201, placed.text
    assert '"amount":10.5,' in placed.text


# --- bodies --------------------------------------------------------------------------------------

BODY_ROUTES = [r for r in ROUTES if DOC["paths"][r.path][r.method.lower()].get("requestBody")]


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_a_body_that_is_not_a_json_object_is_refused_on_every_route(api: ApiClient, admin: User, route: Route):
    user = None if route.public else admin  # admins may call every protected route
    path = re.sub(r"\{\w+\}", str(uuid.uuid4()), route.path)
    for text in NOT_OBJECTS.values():
        error = assert_error(send(api, route.method, path, text, user), 400, "VALIDATION_ERROR")
        assert error["message"] == "Invalid body: must be a JSON object", (text, error)


def test_an_array_holding_a_profile_creates_none(api: ApiClient, seller: User):
    assert_error(send(api, "POST", "/bid-profiles", '[{"a": 1}]', seller), 400, "VALIDATION_ERROR")
    assert api.get("/bid-profiles", seller).json() == []


# --- free text -----------------------------------------------------------------------------------


@pytest.mark.parametrize("char", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_hidden_characters_are_refused_in_every_free_text_field(
    api: ApiClient, admin: User, buyer: User, seller: User, char: str
):
    text = f"Ac{char}me"
    signup = {"email": unique_email("text"), "password": PASSWORD, "company_name": text, "type": "buyer"}
    call = {"from_number": SF, "to_number": NYC}
    cases = [
        (api.post("/accounts", signup), "company_name"),
        (api.post("/admin/users", {**signup, "email": unique_email("text")}, admin), "company_name"),
        (api.post("/api-keys", {"name": text}, buyer), "name"),
        (api.post(f"/admin/accounts/{buyer.id}/credit", {"amount": 1, "reason": text}, admin), "reason"),
        (api.post("/compliance/dnc", {"phone_number": "+12125550111", "reason": text}, admin), "reason"),
        (api.post("/compliance/dnc/import", {"numbers": "+12125550112", "reason": text}, admin), "reason"),
        (api.post("/compliance/geographic/restrictions", {"state": "WY", "reason": text}, admin), "reason"),
        (api.post("/calls", {**call, "call_type": f"so{char}lar"}, buyer), "call_type"),
        (api.post("/calls", {**call, "keywords": [text]}, buyer), "keywords.0"),
        (api.post("/bid-profiles", {"criteria": {"keywords": [text]}}, seller), "criteria.keywords.0"),
        (api.post("/bid-profiles", {"criteria": {"call_type": [text]}}, seller), "criteria.call_type.0"),
    ]
    for response, field in cases:
        error = assert_error(response, 400, "VALIDATION_ERROR")
        assert error["message"] == f"Invalid {field}: control, bidi and zero-width characters are not allowed", error
        assert char not in response.text


def test_a_company_name_is_stored_nfc_normalised(api: ApiClient):
    email = unique_email("nfc")
    body = {"email": email, "password": PASSWORD, "company_name": "Cafe\u0301", "type": "seller"}
    created = api.post("/accounts", body)
    assert created.status_code == 201, created.text
    assert created.json()["company_name"] == "Caf\u00e9"
    token = api.login(email)["access_token"]
    assert api.get("/profile", headers={"Authorization": f"Bearer {token}"}).json()["company_name"] == "Caf\u00e9"


# --- the contract's words ------------------------------------------------------------------------


@pytest.mark.parametrize("body", [{"from_number": ""}, {}, {"from_number": None}], ids=["empty", "missing", "null"])
def test_an_empty_or_missing_from_number_is_the_contracts_message(api: ApiClient, buyer: User, body: dict[str, Any]):
    error = assert_error(api.post("/calls", {"to_number": NYC, **body}, buyer), 400, "VALIDATION_ERROR")
    assert error["message"].startswith("Invalid from number: "), error


@pytest.mark.parametrize(
    ("target", "reserved"),
    [("completed", " (completed is set by POST /calls/{id}/complete)"), ("pending", "")],
)
def test_a_refused_status_change_lists_the_allowed_next_states(api: ApiClient, buyer: User, target: str, reserved: str):
    call = api.post("/calls", {"from_number": SF, "to_number": NYC}, buyer).json()
    error = assert_error(api.patch(f"/calls/{call['id']}/status", {"status": target}, buyer), 400, "INVALID_STATE")
    assert error["message"] == (
        f"Cannot change call status from pending to {target}{reserved}; "
        "allowed: queued (by POST /calls/{id}/route), failed, canceled"
    )


def test_a_finished_call_has_no_next_state(api: ApiClient, buyer: User):
    call = api.post("/calls", {"from_number": SF, "to_number": NYC}, buyer).json()
    assert api.patch(f"/calls/{call['id']}/status", {"status": "canceled"}, buyer).status_code == 200
    error = assert_error(api.patch(f"/calls/{call['id']}/status", {"status": "failed"}, buyer), 400, "INVALID_STATE")
    assert error["message"] == "Cannot change call status from canceled to failed; allowed: none: the call is finished"
