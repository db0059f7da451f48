"""Strict input (issue 14) through the real handlers on moto (authorizer result injected): money is a JSON
number read exactly from the request text, a body is a JSON object, free text is plain text stored NFC,
integers and booleans are not coerced, and messages use the contract's words.

Money fields, body routes and free-text fields are read from the OpenAPI document, so a new one must be
given a base request here (the coverage tests name it). Over HTTP: tests/e2e/test_strict_input.py."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from dce.api.openapi import document
from dce.api.routes import ROUTES, Route
from dce.bootstrap import services
from dce.domain.accounts import Role
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount

DOC = document()
NYC, SF = "+12125551234", "+14155551234"
PLACEHOLDER = "@@value@@"
# The JSON text of each refused money value, as a client would send it.
REFUSED_MONEY = {
    "string": '"10"',
    "padded string": '" 5 "',
    "arabic-indic digit": '"\u0665"',
    "true": "true",
    "false": "false",
    "huge": "1e400",
    "NaN": "NaN",
    "Infinity": "Infinity",
    "-Infinity": "-Infinity",
    "a fraction of a cent": "0.00999999999999999999",
    "three places": "1.005",
    "array": "[10]",
    "object": '{"value": 10}',
    "negative": "-1",
}
ACCEPTED_MONEY = {"10": 10.0, "10.5": 10.5, "10.50": 10.5, "1e1": 10.0}
NOT_OBJECTS = ['[{"a": 1}]', "[]", '"text"', "42", "4.2", "null", "true"]
FORBIDDEN_CHARACTERS = {
    "C0": "\x01",
    "tab": "\t",
    "C1": "\x85",
    "RLO": "\u202e",
    "LRI": "\u2066",
    "ZWSP": "\u200b",
    "ZWJ": "\u200d",
    "WJ": "\u2060",
    "BOM": "\ufeff",
    "LS": "\u2028",
    "PS": "\u2029",
}
FREE_TEXT_NAMES = {"company_name", "name", "description", "reason", "call_type", "keywords"}


def principal(role: Role) -> Principal:
    new = NewAccount(
        email=f"{role}-{uuid.uuid4().hex[:8]}@example.com", company_name="Acme", role=role, password="x" * 12
    )
    account, _ = services().accounts.create(new)
    return Principal(account.id, role)


@dataclass
class World:
    call_api: Callable[..., Any]
    admin: Principal
    buyer: Principal
    seller: Principal
    call_id: str  # pending, no auction
    auction_id: str  # open for an hour
    profile_id: str

    def send(self, method: str, path: str, text: str, as_: Principal | None) -> Any:
        return self.call_api(method, path, text.encode(), as_=as_)


@pytest.fixture
def world(call_api: Callable[..., Any]) -> World:
    admin, buyer, seller = principal(Role.ADMIN), principal(Role.BUYER), principal(Role.SELLER)
    call_id = call_api("POST", "/calls", {"from_number": SF, "to_number": NYC}, as_=buyer).body["id"]
    auctioned = call_api("POST", "/calls", {"from_number": SF, "to_number": NYC}, as_=buyer).body["id"]
    auction = call_api("POST", "/auctions", {"call_id": auctioned, "duration": 3600}, as_=buyer)
    assert auction.status == 201, auction.body
    profile = call_api("POST", "/bid-profiles", {"criteria": {"keywords": ["never-matches"]}}, as_=seller)
    assert profile.status == 201, profile.body
    return World(call_api, admin, buyer, seller, call_id, auction.body["id"], profile.body["id"])


def get(value: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        value = value[int(part)] if part.isdigit() else value[part]
    return value


def with_value(body: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    body = json.loads(json.dumps(body))
    *parents, last = dotted.split(".")
    target: Any = body
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value
    return body


def body_schema(route: Route) -> dict[str, Any] | None:
    body = DOC["paths"][route.path][route.method.lower()].get("requestBody")
    return None if body is None else body["content"]["application/json"]["schema"]


def fields(schema: dict[str, Any], prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    """(dotted path, schema) of every leaf of a request schema (`keywords.0` for a list's items)."""
    while "$ref" in schema:
        schema = DOC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in schema:
        return [found for option in schema["anyOf"] for found in fields(option, prefix)]
    if schema.get("type") == "array":
        return fields(schema["items"], f"{prefix}.0")
    if schema.get("type") == "object" or "properties" in schema:
        return [f for name, sub in schema.get("properties", {}).items() for f in fields(sub, f"{prefix}.{name}")]
    return [(prefix.lstrip("."), schema)]


def documented(predicate: Callable[[str, dict[str, Any]], bool]) -> set[tuple[str, str, str]]:
    return {
        (route.method, route.path, path)
        for route in ROUTES
        if (schema := body_schema(route)) is not None
        for path, leaf in fields(schema)
        if predicate(path, leaf)
    }


# --- money ---------------------------------------------------------------------------------------

# (method, route path, field) → caller, path and a valid body with the field, and where a response shows it.
MoneyCase = tuple[Principal, str, dict[str, Any], Callable[[World, Any], Any]]


def money_case(world: World, key: tuple[str, str, str]) -> MoneyCase:
    w = world
    profile = f"/bid-profiles/{w.profile_id}"
    account = f"/admin/accounts/{w.buyer.account_id}"

    def last_credit(world: World, _: Any) -> Any:
        return world.call_api("GET", "/transactions", as_=world.buyer).body[0]["amount"]

    cases: dict[tuple[str, str, str], MoneyCase] = {
        ("POST", "/bids", "amount"): (w.seller, "/bids", {"auction_id": w.auction_id}, lambda _, b: b["amount"]),
        ("POST", "/auctions", "reserve_price"): (
            w.buyer,
            "/auctions",
            {"call_id": w.call_id},
            lambda _, b: b["reserve_price"],
        ),
        ("POST", "/bid-profiles", "criteria.max_budget"): (
            w.seller,
            "/bid-profiles",
            {"criteria": {}},
            lambda _, b: b["criteria"]["max_budget"],
        ),
        ("POST", "/bid-profiles", "auto_bid.amount"): (
            w.seller,
            "/bid-profiles",
            {"auto_bid": {}},
            lambda _, b: b["auto_bid"]["amount"],
        ),
        ("PUT", "/bid-profiles/{id}", "criteria.max_budget"): (
            w.seller,
            profile,
            {"criteria": {}},
            lambda _, b: b["criteria"]["max_budget"],
        ),
        ("PUT", "/bid-profiles/{id}", "auto_bid.amount"): (
            w.seller,
            profile,
            {"auto_bid": {}},
            lambda _, b: b["auto_bid"]["amount"],
        ),
        ("POST", "/admin/accounts/{id}/credit", "amount"): (
            w.admin,
            f"{account}/credit",
            {"reason": "goodwill"},
            last_credit,
        ),
        ("PATCH", "/admin/accounts/{id}", "credit_limit"): (w.admin, account, {}, lambda _, b: b["credit_limit"]),
    }
    return cases[key]


# Every number a request may carry is money (integers are `integer`): a new one without a case is a KeyError.
MONEY_FIELDS = sorted(documented(lambda _, leaf: leaf.get("type") == "number"))


def money_text(body: dict[str, Any], field: str, text: str) -> str:
    return json.dumps(with_value(body, field, PLACEHOLDER)).replace(json.dumps(PLACEHOLDER), text)


@pytest.mark.parametrize("key", MONEY_FIELDS, ids=[" ".join(k) for k in MONEY_FIELDS])
def test_money_is_a_json_number_in_whole_cents_anything_else_is_refused_naming_the_field(
    world: World, key: tuple[str, str, str]
):
    method, _, field = key
    user, path, body, shown = money_case(world, key)
    wrong = {}
    for label, text in REFUSED_MONEY.items():
        response = world.send(method, path, money_text(body, field, text), user)
        error = response.body.get("error", {}) if isinstance(response.body, dict) else {}
        message = str(error.get("message", ""))
        if key[2] == "reserve_price" and label == "negative":  # the contract's own sentence
            named = message == "Reserve price cannot be negative"
        else:
            named = message.startswith(f"Invalid {field}: ")
        if response.status != 400 or error.get("code") != "VALIDATION_ERROR" or not named:
            wrong[label] = (response.status, response.body)
        elif field not in {d["field"] for d in error.get("details", [])}:
            wrong[label] = ("details do not name the field", response.body)
    assert not wrong, wrong
    for text, expected in ACCEPTED_MONEY.items():
        if key == ("POST", "/auctions", "reserve_price"):  # one auction per call
            new_call = world.call_api("POST", "/calls", {"from_number": SF, "to_number": NYC}, as_=world.buyer)
            body = {"call_id": new_call.body["id"]}
        if key == ("POST", "/bids", "amount"):  # one live bid per seller: a fresh seller each time
            user = principal(Role.SELLER)
        response = world.send(method, path, money_text(body, field, text), user)
        assert response.status in (200, 201), (text, response.body)
        assert shown(world, response.body) == expected, (text, response.body)


def test_a_fraction_of_a_cent_is_never_rounded_into_a_bid(world: World):
    text = json.dumps({"auction_id": world.auction_id, "amount": PLACEHOLDER}).replace(
        json.dumps(PLACEHOLDER), "0.00999999999999999999"
    )
    response = world.send("POST", "/bids", text, world.seller)
    assert response.status == 400, response.body
    assert response.body["error"]["message"] == "Invalid amount: must be whole cents: at most 2 decimal places"
    assert world.call_api("GET", "/bids", as_=world.seller).body == []


# --- bodies must be objects ----------------------------------------------------------------------

# Every route of ROUTES whose operation takes a body (POST /calls/{id}/route and /auctions/{id}/complete take none).
BODY_ROUTES = [route for route in ROUTES if body_schema(route) is not None]


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_a_body_that_is_not_a_json_object_is_refused_on_every_route(world: World, route: Route):
    user = None if route.public else world.admin  # admins may call every protected route
    path = route.path.replace("{id}", str(uuid.uuid4()))
    wrong = {}
    for text in NOT_OBJECTS:
        response = world.send(route.method, path, text, user)
        error = response.body.get("error", {}) if isinstance(response.body, dict) else {}
        if (response.status, error.get("code"), error.get("message")) != (
            400,
            "VALIDATION_ERROR",
            "Invalid body: must be a JSON object",
        ):
            wrong[text] = (response.status, response.body)
    assert not wrong, wrong


def test_an_array_holding_a_valid_body_creates_nothing(world: World):
    response = world.send("POST", "/bid-profiles", '[{"a": 1}]', world.seller)
    assert response.status == 400, response.body
    assert [p["id"] for p in world.call_api("GET", "/bid-profiles", as_=world.seller).body] == [world.profile_id]


# --- free text -----------------------------------------------------------------------------------

TextCase = tuple[Principal | None, str, dict[str, Any]]


def text_case(world: World, key: tuple[str, str, str]) -> TextCase:
    w = world
    signup = {"email": f"t-{uuid.uuid4().hex[:8]}@example.com", "company_name": "Acme", "type": "buyer"}
    criteria = {"criteria": {"call_type": ["solar"], "keywords": ["roof"]}}
    call = {"from_number": SF, "to_number": NYC, "call_type": "solar", "keywords": ["roof"]}
    dnc = {"phone_number": "+12125550199", "reason": "asked"}
    cases: dict[tuple[str, str], TextCase] = {
        ("POST", "/accounts"): (None, "/accounts", signup),
        ("POST", "/admin/users"): (w.admin, "/admin/users", signup),
        ("POST", "/api-keys"): (w.buyer, "/api-keys", {"name": "ci"}),
        ("POST", "/admin/accounts/{id}/credit"): (
            w.admin,
            f"/admin/accounts/{w.buyer.account_id}/credit",
            {"amount": 1, "reason": "goodwill"},
        ),
        ("POST", "/calls"): (w.buyer, "/calls", call),
        ("POST", "/bid-profiles"): (w.seller, "/bid-profiles", criteria),
        ("PUT", "/bid-profiles/{id}"): (w.seller, f"/bid-profiles/{w.profile_id}", criteria),
        ("POST", "/compliance/dnc"): (w.admin, "/compliance/dnc", dnc),
        ("POST", "/compliance/dnc/import"): (
            w.admin,
            "/compliance/dnc/import",
            {"numbers": "+12125550198", "reason": "x"},
        ),
        ("POST", "/compliance/geographic/restrictions"): (
            w.admin,
            "/compliance/geographic/restrictions",
            {"state": "WY", "reason": "x"},
        ),
    }
    return cases[key[:2]]


def free_text(path: str, leaf: dict[str, Any]) -> bool:
    names = [part for part in path.split(".") if not part.isdigit()]
    return leaf.get("type") == "string" and names[-1] in FREE_TEXT_NAMES


# company_name, name, reason, call_type, keywords.0, criteria.call_type.0, criteria.keywords.0 on their routes.
FREE_TEXT_FIELDS = sorted(documented(free_text))


@pytest.mark.parametrize("key", FREE_TEXT_FIELDS, ids=[" ".join(k) for k in FREE_TEXT_FIELDS])
def test_control_bidi_and_zero_width_characters_in_free_text_are_refused_naming_the_field(
    world: World, key: tuple[str, str, str]
):
    method, _, field = key
    wrong = {}
    for label, char in FORBIDDEN_CHARACTERS.items():
        user, path, body = text_case(world, key)  # a new sign-up email each time
        response = world.call_api(method, path, with_value(body, field, f"ro{char}of"), as_=user)
        expected = f"Invalid {field}: control, bidi and zero-width characters are not allowed"
        error = response.body.get("error", {}) if isinstance(response.body, dict) else {}
        if (response.status, error.get("code"), error.get("message")) != (400, "VALIDATION_ERROR", expected):
            wrong[label] = (response.status, response.body)
    assert not wrong, wrong
    user, path, body = text_case(world, key)
    assert world.call_api(method, path, body, as_=user).status in (200, 201)  # the base request is valid


def test_free_text_is_stored_nfc_normalised(world: World):
    decomposed, composed = "Cafe\u0301 Ole\u0301", "Caf\u00e9 Ol\u00e9"
    signup = {"email": "nfc@example.com", "company_name": decomposed, "type": "buyer", "password": "x" * 12}
    account = world.call_api("POST", "/accounts", signup)
    assert account.status == 201 and account.body["company_name"] == composed
    me = Principal(account.body["id"], Role.BUYER)
    assert world.call_api("GET", "/profile", as_=me).body["company_name"] == composed
    world.call_api("POST", "/api-keys", {"name": decomposed}, as_=me)
    assert [k["name"] for k in world.call_api("GET", "/api-keys", as_=me).body] == [composed]
    credit = {"amount": 1, "reason": decomposed}
    assert world.call_api("POST", f"/admin/accounts/{me.account_id}/credit", credit, as_=world.admin).status == 200
    assert world.call_api("GET", "/transactions", as_=me).body[0]["reason"] == composed
    dnc = {"phone_number": "+12125550197", "reason": decomposed}
    assert world.call_api("POST", "/compliance/dnc", dnc, as_=world.admin).status == 201
    assert world.call_api("GET", "/compliance/dnc/+12125550197", as_=me).body["reason"] == composed
    imported = {"numbers": "+12125550196", "reason": decomposed}
    assert world.call_api("POST", "/compliance/dnc/import", imported, as_=world.admin).status == 200
    assert world.call_api("GET", "/compliance/dnc/+12125550196", as_=me).body["reason"] == composed
    rule = {"state": "WY", "reason": decomposed}
    assert world.call_api("POST", "/compliance/geographic/restrictions", rule, as_=world.admin).status == 201
    rules = world.call_api("GET", "/compliance/geographic/restrictions", as_=world.admin).body
    assert [r["reason"] for r in rules] == [composed]


# --- integers and booleans -----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["1.5", '"10"', "10.0", "true", "1e1", "NaN"])
def test_integer_fields_take_only_json_integers(world: World, text: str):
    cases = [
        ("POST", "/auctions", {"call_id": world.call_id}, "duration", world.buyer),
        ("POST", "/auctions", {"call_id": world.call_id}, "min_duration", world.buyer),
        ("POST", "/calls", {"from_number": SF, "to_number": NYC}, "max_duration", world.buyer),
        ("POST", f"/calls/{world.call_id}/complete", {}, "duration", world.buyer),
        ("POST", "/compliance/geographic/restrictions", {"reason": "x"}, "country_code", world.admin),
    ]
    for method, path, body, field, user in cases:
        response = world.send(method, path, money_text(body, field, text), user)
        assert response.status == 400, (field, response.body)
        assert response.body["error"]["message"].startswith(f"Invalid {field}: "), (field, response.body)


@pytest.mark.parametrize("text", ['"true"', "1", "0", '"yes"'])
def test_boolean_fields_take_only_json_booleans(world: World, text: str):
    cases = [
        ("POST", "/bid-profiles", {}, "active", world.seller),
        ("POST", "/compliance/geographic/restrictions", {"state": "WY", "reason": "x"}, "restricted", world.admin),
    ]
    for method, path, body, field, user in cases:
        response = world.send(method, path, money_text(body, field, text), user)
        assert response.status == 400, (field, response.body)
        assert response.body["error"]["message"].startswith(f"Invalid {field}: "), (field, response.body)


@pytest.mark.parametrize("value", [1900000000, "1900000000", 1.9e9], ids=str)
def test_a_time_is_rfc_3339_text_never_a_number_of_seconds(world: World, value: Any):
    body = {"phone_number": "+12125550195", "reason": "x", "expires_at": value}
    response = world.call_api("POST", "/compliance/dnc", body, as_=world.admin)
    assert response.status == 400, response.body
    assert response.body["error"]["message"].startswith("Invalid expires_at: ")


# --- the contract's words ------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "words"), [("from_number", "from number"), ("to_number", "to number")])
@pytest.mark.parametrize("value", ["", None, 14155551234, "x" * 40], ids=repr)
def test_every_failure_of_a_number_names_it_in_the_contracts_words(world: World, field: str, words: str, value: Any):
    body: dict[str, Any] = {"from_number": SF, "to_number": NYC, field: value}
    if value is None:
        del body[field]  # missing
    response = world.call_api("POST", "/calls", body, as_=world.buyer)
    assert response.status == 400, response.body
    assert response.body["error"]["code"] == "VALIDATION_ERROR"
    assert response.body["error"]["message"].startswith(f"Invalid {words}: "), response.body


def test_an_unlisted_dnc_number_is_named_in_the_contracts_words(world: World):
    response = world.call_api("POST", "/compliance/dnc", {"phone_number": "", "reason": "x"}, as_=world.admin)
    assert response.status == 400 and response.body["error"]["message"].startswith("Invalid phone number: ")


ROUTE_HINT = "queued (by POST /calls/{id}/route), failed, canceled"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "completed",
            f"from pending to completed (completed is set by POST /calls/{{id}}/complete); allowed: {ROUTE_HINT}",
        ),
        ("queued", f"from pending to queued (queued is set by POST /calls/{{id}}/route); allowed: {ROUTE_HINT}"),
        ("pending", f"from pending to pending; allowed: {ROUTE_HINT}"),
        ("ringing", f"from pending to ringing; allowed: {ROUTE_HINT}"),
    ],
    ids=["completed", "queued", "pending", "ringing"],
)
def test_a_refused_status_change_lists_the_allowed_next_states(world: World, target: str, message: str):
    response = world.call_api("PATCH", f"/calls/{world.call_id}/status", {"status": target}, as_=world.buyer)
    assert response.status == 400 and response.body["error"]["code"] == "INVALID_STATE", response.body
    assert response.body["error"]["message"] == f"Cannot change call status {message}"


@pytest.mark.parametrize("target", ["failed", "pending", "completed", "canceled"])
def test_a_finished_call_says_none_the_call_is_finished(world: World, target: str):
    path = f"/calls/{world.call_id}/status"
    assert world.call_api("PATCH", path, {"status": "canceled"}, as_=world.buyer).status == 200
    response = world.call_api("PATCH", path, {"status": target}, as_=world.buyer)
    assert response.status == 400 and response.body["error"]["code"] == "INVALID_STATE", response.body
    assert response.body["error"]["message"].endswith("; allowed: none: the call is finished"), response.body


def test_a_status_change_of_an_unknown_call_is_not_found_whatever_the_status(world: World):
    response = world.call_api("PATCH", f"/calls/{uuid.uuid4()}/status", {"status": "completed"}, as_=world.buyer)
    assert response.status == 404 and response.body["error"]["code"] == "CALL_NOT_FOUND"
