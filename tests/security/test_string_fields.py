"""Hostile strings in every string field of every request body, the fields read from the OpenAPI document
(a new field or route is swept without editing this file): SQL, NoSQL, shell, CRLF and markup are refused
with a 400 whose message says "Invalid" and names the field, never a 5xx, never reflected.

Three kinds of field answer otherwise, by design (docs/decisions.md): free text (names, reasons) may hold
SQL or shell text, stored inert; a password may hold anything (it is only hashed); log-in and refresh
check credentials (401 "Invalid ..."). A bulk DNC import reports invalid lines instead of failing.
Runs on a local exchange of its own: valid payloads change global settings (DNC, restrictions)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from dce.api.routes import ROUTES, Route
from tests.contract.openapi_contract import document
from tests.e2e.api_client import PASSWORD, ApiClient, User, unique_email
from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, local_stack

PAYLOADS: dict[str, Any] = {
    "sql-drop": "'; DROP TABLE calls; --",
    "sql-or": "1' OR '1'='1",
    "nosql": {"$gt": ""},
    "shell": "; rm -rf / #",
    "crlf": "x\r\nX-Injected: 1",
    "xss-script": "<script>alert(1)</script>",
    "xss-img": "<img src=x onerror=alert(1)>",
    "xss-scheme": "javascript:alert(1)",
}
PLAIN_TEXT_SAFE = {"sql-drop", "sql-or", "shell"}  # legitimate in free text: stored and returned as data
FREE_TEXT = {"company_name", "name", "reason"}
SECRETS = {"password"}
CREDENTIAL_CHECKS = {("POST", "/auth/login"), ("POST", "/auth/refresh")}
REPORTED = {("POST", "/compliance/dnc/import", "numbers")}


@dataclass(frozen=True)
class World:
    admin: User
    buyer: User
    seller: User
    ids: dict[str, str]


@pytest.fixture(scope="module")
def hostile_api() -> Iterator[ApiClient]:
    with local_stack() as url:
        yield ApiClient(url)


@pytest.fixture(scope="module")
def world(hostile_api: ApiClient) -> World:
    api = hostile_api
    admin = api.admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    buyer, seller = api.sign_up("buyer"), api.sign_up("seller")
    call = api.post("/calls", {"from_number": "+14155551234", "to_number": "+12125551234"}, buyer).json()
    auctioned = api.post("/calls", {"from_number": "+14155551234", "to_number": "+12125551235"}, buyer).json()
    auction = api.post("/auctions", {"call_id": auctioned["id"], "duration": 3600}, buyer).json()
    profile = api.post("/bid-profiles", {"criteria": {}}, seller).json()
    ids = {"call": call["id"], "auction": auction["id"], "profile": profile["id"], "buyer": buyer.id}
    return World(admin, buyer, seller, ids)


def string_fields(schema: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of every string in a request schema (`keywords.0` for a list's first item)."""
    schema = resolve(schema)
    if "anyOf" in schema:
        return sorted({path for option in schema["anyOf"] for path in string_fields(option, prefix)})
    kind = schema.get("type")
    if kind == "string":
        return [prefix]
    if kind == "array":
        return string_fields(schema["items"], f"{prefix}.0")
    found = []
    for name, sub in schema.get("properties", {}).items():
        found += string_fields(sub, f"{prefix}.{name}" if prefix else name)
    return found


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def base_request(route: Route, world: World) -> tuple[User | None, str, dict[str, Any]]:
    """Who calls `route`, on which path, with which valid body: the sweep changes one field of it."""
    criteria = {"call_type": ["solar"], "keywords": ["roof"], "geography": {"countries": ["US"], "states": ["CA"]}}
    signup = {"email": unique_email("sweep"), "password": PASSWORD, "company_name": "Acme", "type": "buyer"}
    card = {"payment_info": {"card_number": "4111111111111111", "cvv": "123", "expiry": "12/30"}}
    bodies: dict[tuple[str, str], tuple[User | None, dict[str, Any]]] = {
        ("POST", "/accounts"): (None, {**signup, **card}),
        ("POST", "/admin/users"): (world.admin, {**signup, **card}),
        ("POST", "/admin/accounts/{id}/credit"): (world.admin, {"amount": 1, "reason": "goodwill"}),
        ("PATCH", "/admin/accounts/{id}"): (world.admin, {"credit_limit": 0, "status": "active"}),
        ("POST", "/api-keys"): (world.buyer, {"name": "ci"}),
        ("POST", "/auth/login"): (None, {"email": world.buyer.email, "password": PASSWORD}),
        ("POST", "/auth/refresh"): (None, {"refresh_token": world.buyer.refresh_token}),
        ("POST", "/auctions"): (world.buyer, {"call_id": world.ids["call"], "billing_model": "per_call"}),
        ("POST", "/bids"): (world.seller, {"auction_id": world.ids["auction"], "amount": 2.5}),
        ("POST", "/bid-profiles"): (
            world.seller,
            {"criteria": {**criteria, "max_budget": 9}, "auto_bid": {"amount": 1}},
        ),
        ("PUT", "/bid-profiles/{id}"): (world.seller, {"criteria": criteria, "auto_bid": {"amount": 1}}),
        ("POST", "/calls"): (
            world.buyer,
            {"from_number": "+14155551234", "to_number": "+12125551234", "call_type": "solar", "keywords": ["roof"]},
        ),
        ("PATCH", "/calls/{id}/status"): (world.buyer, {"status": "ringing"}),
        ("POST", "/compliance/dnc"): (
            world.admin,
            {
                "phone_number": "+12125550123",
                "reason": "asked",
                "list": "internal",
                "expires_at": "2031-01-01T00:00:00Z",
            },
        ),
        ("POST", "/compliance/dnc/import"): (
            world.admin,
            {"numbers": "+12125550124", "reason": "asked", "list": "internal", "expires_at": "2031-01-01T00:00:00Z"},
        ),
        ("POST", "/compliance/geographic/restrictions"): (
            world.admin,
            {"state": "WY", "restricted": True, "reason": "x"},
        ),
        ("PUT", "/compliance/tcpa/hours"): (
            world.admin,
            {"start_time": "08:00", "end_time": "21:00", "timezone": "America/New_York"},
        ),
    }
    user, body = bodies[(route.method, route.path)]
    ids = {"calls": world.ids["call"], "bid-profiles": world.ids["profile"], "admin": world.ids["buyer"]}
    path = re.sub(r"\{\w+\}", lambda _: ids[route.path.split("/")[1]], route.path)
    return user, path, body


def with_value(body: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    """A copy of `body` with the dotted `field` (`keywords.0` for a list item) set to `value`."""
    body = json.loads(json.dumps(body))
    *parents, last = field.split(".")
    target: Any = body
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value
    return body


DOCUMENT = document()
SWEPT = [
    (route, field)
    for route in ROUTES
    if (body := DOCUMENT["paths"][route.path][route.method.lower()].get("requestBody"))
    for field in string_fields(body["content"]["application/json"]["schema"])
]


def reflected(response: httpx.Response, value: Any) -> bool:
    text = value if isinstance(value, str) else json.dumps(value)
    escaped = json.dumps(text)[1:-1]
    return text in response.text or escaped in response.text or "x-injected" in {k.lower() for k in response.headers}


def test_the_sweep_has_a_valid_base_request_for_every_route_with_a_body(world: World):
    for route in {route for route, _ in SWEPT}:
        base_request(route, world)  # a KeyError names a route with a body but no base request here


@pytest.mark.parametrize("payload", PAYLOADS, ids=str)
@pytest.mark.parametrize(("route", "field"), SWEPT, ids=[f"{r.method} {r.path} {f}" for r, f in SWEPT])
def test_a_hostile_string_in_a_field_is_refused_as_invalid_and_never_reflected(
    hostile_api: ApiClient, world: World, route: Route, field: str, payload: str
):
    user, path, body = base_request(route, world)
    value = PAYLOADS[payload]
    response = hostile_api.request(route.method, path, user, json=with_value(body, field, value))
    assert response.status_code < 500, response.text
    leaf = [part for part in field.split(".") if not part.isdigit()][-1]
    if leaf in FREE_TEXT and payload in PLAIN_TEXT_SAFE:
        return  # plain text, stored and returned as JSON data (never interpreted)
    assert not reflected(response, value), response.text
    if (route.method, route.path) in CREDENTIAL_CHECKS:
        assert response.status_code in (400, 401) and "Invalid" in response.json()["error"]["message"]
    elif (leaf in SECRETS and isinstance(value, str)) or (route.method, route.path, field) in REPORTED:
        assert response.status_code < 400 or "Invalid" in response.json()["error"]["message"]
    else:
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        named = leaf.replace("_", " ") in error["message"].replace("_", " ")  # "Invalid from number: ..."
        named = named or any(leaf in d["field"] for d in error.get("details", []))
        assert "Invalid" in error["message"] and (named or error["code"] == "INVALID_UUID"), error
