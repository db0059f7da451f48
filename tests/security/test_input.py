"""Hostile input (contract: Basics, Errors): injection strings, markup, oversized, mistyped and
malformed bodies are refused with the contract's error shape, never reflected, never a 5xx."""

from __future__ import annotations

import http.client
import importlib
import json
import pkgutil
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

import dce.api.schemas
from dce.api.routes import ROUTES, Route
from tests.e2e.api_client import PASSWORD, ApiClient, User, unique_email
from tests.e2e.assertions import assert_error, assert_unauthorized

SQL_DROP = "'; DROP TABLE calls; --"
SQL_OR = "1' OR '1'='1"
NOSQL = {"$gt": ""}
SHELL = "; rm -rf /"
CRLF = "\r\nX-Injected: 1"
INJECTIONS: dict[str, Any] = {"sql-drop": SQL_DROP, "sql-or": SQL_OR, "nosql": NOSQL, "shell": SHELL, "crlf": CRLF}
XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "javascript:alert(1)",
    "JaVaScRiPt :alert(1)",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    '" onfocus="alert(1)',
    "data:text/html,<script>alert(1)</script>",
]
CALL = {"from_number": "+14155551234", "to_number": "+18005551234"}
CARD = {"card_number": "4111111111111111", "cvv": "123", "expiry": "12/30"}


def signup() -> dict[str, Any]:
    return {
        "email": unique_email("input"),
        "password": PASSWORD,
        "company_name": "Acme",
        "type": "buyer",
        "payment_info": dict(CARD),
    }


def with_value(body: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    """A copy of `body` with the dotted `field` (list index allowed: `keywords.0`) set to `value`."""
    body = json.loads(json.dumps(body))
    *parents, last = field.split(".")
    target: Any = body
    for part in parents:
        target = target[part]
    if last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return body


def assert_not_reflected(response: httpx.Response, value: Any) -> None:
    text = value if isinstance(value, str) else json.dumps(value)
    assert text not in response.text
    assert json.dumps(text)[1:-1] not in response.text  # not even JSON-escaped
    assert not any(k.lower() == "x-injected" for k in response.headers)


# --- injection strings ---------------------------------------------------------------------------

CALL_FIELDS = ["from_number", "to_number", "direction", "call_type", "keywords.0"]
# Structured fields of a sign-up: a value that is not an address, a type, card digits... is invalid.
SIGNUP_FIELDS = ["email", "type", "payment_info.card_number", "payment_info.cvv", "payment_info.expiry"]


@pytest.mark.parametrize("payload", INJECTIONS.values(), ids=INJECTIONS.keys())
@pytest.mark.parametrize("field", CALL_FIELDS)
def test_an_injection_string_in_a_call_field_is_invalid_and_not_reflected(
    api: ApiClient, buyer: User, field: str, payload: Any
):
    body = with_value({**CALL, "call_type": "solar", "keywords": ["roof"]}, field, payload)
    response = api.post("/calls", body, buyer)
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert "Invalid" in error["message"]
    assert_not_reflected(response, payload)


@pytest.mark.parametrize("payload", INJECTIONS.values(), ids=INJECTIONS.keys())
@pytest.mark.parametrize("field", SIGNUP_FIELDS)
def test_an_injection_string_in_a_structured_sign_up_field_is_invalid_and_not_reflected(
    api: ApiClient, field: str, payload: Any
):
    response = api.post("/accounts", with_value(signup(), field, payload))
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert "Invalid" in error["message"]
    assert_not_reflected(response, payload)


@pytest.mark.parametrize("payload", [NOSQL, CRLF], ids=["nosql", "crlf"])
def test_an_object_or_control_characters_in_company_name_are_invalid(api: ApiClient, payload: Any):
    response = api.post("/accounts", with_value(signup(), "company_name", payload))
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert "Invalid company_name" in error["message"]
    assert_not_reflected(response, payload)


@pytest.mark.parametrize("payload", [SQL_DROP, SQL_OR, SHELL], ids=["sql-drop", "sql-or", "shell"])
def test_sql_or_shell_text_in_company_name_is_plain_text_stored_inert(api: ApiClient, payload: str):
    """A company name is free text (an apostrophe or a semicolon is legitimate): it is stored and
    returned verbatim as JSON data, and nothing ever interprets it."""
    body = with_value(signup(), "company_name", payload)
    created = api.post("/accounts", body)
    assert created.status_code == 201, created.text
    assert created.json()["company_name"] == payload
    token = api.login(body["email"])["access_token"]
    profile = api.get("/profile", headers={"Authorization": f"Bearer {token}"})
    assert profile.json()["company_name"] == payload


@pytest.mark.parametrize("payload", [SQL_DROP, SQL_OR, CRLF + "xx"], ids=["sql-drop", "sql-or", "crlf"])
def test_an_injection_string_is_just_a_password(api: ApiClient, payload: str):
    """Passwords may hold any character: they are only ever hashed."""
    body = with_value(signup(), "password", payload)
    created = api.post("/accounts", body)
    assert created.status_code == 201, created.text
    assert payload not in created.text
    assert api.post("/auth/login", {"email": body["email"], "password": payload}).status_code == 200
    wrong = api.post("/auth/login", {"email": body["email"], "password": SQL_OR + "x"})
    assert_error(wrong, 401, "INVALID_CREDENTIALS")


def test_an_object_as_a_password_is_invalid(api: ApiClient):
    assert_error(api.post("/accounts", with_value(signup(), "password", NOSQL)), 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("payload", INJECTIONS.values(), ids=INJECTIONS.keys())
def test_an_injection_string_as_login_email_is_not_a_way_in(api: ApiClient, payload: Any):
    response = api.post("/auth/login", {"email": payload, "password": SQL_OR})
    if isinstance(payload, str):
        assert_error(response, 401, "INVALID_CREDENTIALS")
    else:
        assert_error(response, 400, "VALIDATION_ERROR")
    assert_not_reflected(response, payload)


# --- markup --------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", XSS)
def test_markup_in_company_name_is_refused_and_never_reflected(api: ApiClient, admin: User, payload: str):
    for response in (
        api.post("/accounts", with_value(signup(), "company_name", payload)),
        api.post("/admin/users", with_value(signup(), "company_name", payload), admin),
    ):
        error = assert_error(response, 400, "VALIDATION_ERROR")
        assert "company_name" in error["message"]
        assert_not_reflected(response, payload)
        assert "<" not in response.text and "javascript" not in response.text.lower()


@pytest.mark.parametrize("payload", XSS[:3])
def test_markup_in_other_text_fields_is_refused_and_never_reflected(
    api: ApiClient, admin: User, buyer: User, payload: str
):
    for response in (
        api.post("/api-keys", {"name": payload}, buyer),
        api.post(f"/admin/accounts/{buyer.id}/credit", {"amount": 1, "reason": payload}, admin),
        api.patch(f"/calls/{uuid.uuid4()}/status", {"status": payload}, buyer),
        api.post("/calls", {**CALL, "keywords": [payload]}, buyer),
    ):
        assert_error(response, 400, "VALIDATION_ERROR")
        assert_not_reflected(response, payload)


# --- the HTTP edge -------------------------------------------------------------------------------


def test_a_body_over_64_kib_is_payload_too_large(api: ApiClient, buyer: User):
    body = json.dumps({**CALL, "pad": "x" * (64 * 1024)})
    response = api.request("POST", "/calls", buyer, content=body, headers={"Content-Type": "application/json"})
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


BODY_ROUTES = [r for r in ROUTES if r.method in {"POST", "PUT", "PATCH"}]


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_every_route_refuses_a_body_over_its_limit_and_a_body_that_is_not_json(
    api: ApiClient, admin: User, route: Route
):
    """Driven by ROUTES: 64 KiB unless the route says otherwise (413), and JSON only (415)."""
    user = None if route.public else admin  # admins may call every protected route
    path = re.sub(r"\{\w+\}", str(uuid.uuid4()), route.path)
    too_big = b'{"pad": "' + b"x" * route.max_body_bytes + b'"}'
    json_type = {"Content-Type": "application/json"}
    assert_error(api.request(route.method, path, user, content=too_big, headers=json_type), 413, "PAYLOAD_TOO_LARGE")
    not_json = api.request(route.method, path, user, content=b"{}", headers={"Content-Type": "text/plain"})
    assert_error(not_json, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_a_streamed_body_over_64_kib_without_a_length_is_payload_too_large(api: ApiClient):
    def chunks() -> Iterator[bytes]:
        yield b'{"pad": "'
        for _ in range(80):
            yield b"x" * 1024
        yield b'"}'

    response = api.request("POST", "/accounts", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


def test_a_body_of_exactly_64_kib_is_not_too_large(api: ApiClient):
    prefix = json.dumps({"email": unique_email(), "company_name": "Acme", "type": "buyer", "pad": ""})[:-2]
    body = prefix + "x" * (64 * 1024 - len(prefix) - 2) + '"}'
    assert len(body.encode()) == 64 * 1024
    response = api.request("POST", "/accounts", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data"]
)
def test_a_body_that_is_not_json_by_content_type_is_unsupported_media_type(api: ApiClient, content_type: str):
    response = api.request(
        "POST", "/auth/login", content=b'{"email": "a@b.co"}', headers={"Content-Type": content_type}
    )
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_a_body_without_a_content_type_is_unsupported_media_type(api: ApiClient):
    response = api.request("POST", "/auth/login", content=b'{"email": "a@b.co"}')
    assert "content-type" not in response.request.headers
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_json_with_a_charset_is_accepted(api: ApiClient, buyer: User):
    body = json.dumps({"email": buyer.email, "password": PASSWORD})
    response = api.request(
        "POST", "/auth/login", content=body, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"{'single': 'quotes'}", b'{"a": 1,}', b"[" * 5000 + b"]" * 5000, b'{"a":' * 5000],
    ids=["garbage", "single-quotes", "trailing-comma", "nested-too-deep", "unclosed-deep"],
)
def test_a_body_that_is_not_json_is_a_validation_error(api: ApiClient, content: bytes):
    response = api.request("POST", "/auth/login", content=content, headers={"Content-Type": "application/json"})
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["message"] == "Invalid JSON body"


def test_a_body_that_is_not_utf8_is_unsupported_media_type(api: ApiClient):
    response = api.request("POST", "/auth/login", content=b"\xff\xfe{}", headers={"Content-Type": "application/json"})
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_a_no_content_response_keeps_the_connection_usable(api: ApiClient, base_url: str, buyer: User):
    key = api.post("/api-keys", {"name": "to delete"}, buyer).json()
    url = httpx.URL(base_url)
    connection = http.client.HTTPConnection(url.host, url.port, timeout=10)
    try:
        connection.request("DELETE", f"{url.path}/api-keys/{key['id']}", headers=buyer.auth)
        deleted = connection.getresponse()
        assert deleted.status == 204 and deleted.read() == b""
        connection.request("GET", f"{url.path}/health")  # same connection: keep-alive
        assert connection.getresponse().status == 200
    finally:
        connection.close()


@pytest.mark.parametrize("path", ["/nope", "/calls/x/y", "/profile/", "/admin", "/api-keys/a/b/c"])
def test_an_unknown_route_is_not_found(api: ApiClient, path: str):
    assert_error(api.get(path), 404, "NOT_FOUND")


def test_a_path_outside_the_api_prefix_is_not_found(api: ApiClient, base_url: str):
    root = base_url.removesuffix("/api/v1")
    assert_error(httpx.get(f"{root}/health"), 404, "NOT_FOUND")
    assert_error(httpx.get(f"{root}/api/v2/health"), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("DELETE", "/profile", "GET"), ("PUT", "/calls", "GET, POST"), ("GET", "/auth/login", "POST")],
)
def test_a_wrong_method_is_method_not_allowed(api: ApiClient, method: str, path: str, allowed: str):
    response = api.request(method, path)
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == allowed


# --- the error shape -----------------------------------------------------------------------------


def test_every_kind_of_error_has_the_contract_shape_and_request_id(
    api: ApiClient, buyer: User, seller: User, admin: User
):
    json_headers = {"Content-Type": "application/json"}
    cases = [
        (api.get("/nope"), 404, "NOT_FOUND"),  # the gateway
        (api.request("PUT", "/calls"), 405, "METHOD_NOT_ALLOWED"),
        (api.request("POST", "/calls", content=b"x" * 70_000, headers=json_headers), 413, "PAYLOAD_TOO_LARGE"),
        (api.get("/profile"), 401, "UNAUTHORIZED"),  # the authorizer
        (api.post("/calls", CALL, seller), 403, "FORBIDDEN"),  # the edge checks
        (
            api.request("POST", "/calls", buyer, content=b"{}", headers={"Content-Type": "text/plain"}),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (api.request("POST", "/calls", buyer, content=b"{", headers=json_headers), 400, "VALIDATION_ERROR"),
        (api.post("/calls", {}, buyer), 400, "VALIDATION_ERROR"),  # request validation
        (api.get("/calls/nope", buyer), 400, "INVALID_UUID"),  # the handlers
        (api.get(f"/calls/{uuid.uuid4()}", buyer), 404, "CALL_NOT_FOUND"),
        (api.post("/accounts", {**signup(), "email": buyer.email}), 409, "EMAIL_TAKEN"),
        (api.post("/auth/login", {"email": buyer.email, "password": "nope-nope-nope"}), 401, "INVALID_CREDENTIALS"),
        (
            api.post(f"/admin/accounts/{uuid.uuid4()}/credit", {"amount": 1, "reason": "x"}, admin),
            404,
            "ACCOUNT_NOT_FOUND",
        ),
    ]
    seen = set()
    for response, status, code in cases:
        error = assert_error(response, status, code)
        uuid.UUID(error["request_id"])
        seen.add(error["request_id"])
    assert len(seen) == len(cases)  # one id per request


def test_a_successful_response_carries_a_request_id_too(api: ApiClient, buyer: User):
    for response in (api.get("/health"), api.get("/profile", buyer), api.post("/calls", CALL, buyer)):
        assert response.status_code < 300
        uuid.UUID(response.headers["x-request-id"])


def test_a_validation_error_lists_field_details(api: ApiClient, buyer: User):
    error = assert_error(api.post("/calls", {"direction": "up"}, buyer), 400, "VALIDATION_ERROR")
    fields = {d["field"] for d in error["details"]}
    assert {"from_number", "to_number", "direction"} <= fields
    assert all(d["message"].startswith("Invalid ") for d in error["details"])


# --- no 5xx, whatever the body -------------------------------------------------------------------


def request_fields() -> list[str]:
    """Every field name of every request model in dce.api.schemas (so new models are swept too)."""
    names: set[str] = set()
    for info in pkgutil.iter_modules(dce.api.schemas.__path__):
        module = importlib.import_module(f"dce.api.schemas.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseModel) and value.__name__.endswith("In"):
                names.update(value.model_fields)
    return sorted(names)


FIELDS = request_fields()
HUGE = "x" * (60_000 // len(FIELDS))
JUNK_VALUES: list[Any] = [None, 0, -1, 10**30, 1.5e308, True, [], [None], {}, NOSQL, HUGE, "\u0000", "💥" * 50, "NaN"]
JUNK_BODIES: list[bytes] = [
    b"[]",
    b"[{}]",
    b'"just a string"',
    b"123",
    b"null",
    b"true",
    b'{"a": {"b": {"c": [[[[[]]]]]}}}',
    b"[" * 3000 + b"]" * 3000,
    b'{"x":' * 3000 + b"1" + b"}" * 3000,
    b'{"amount": 1e999999, "reason": "x", "status": "canceled"}',
    b'{"amount": NaN, "limit": Infinity}',
    b'{"email": "\\ud800", "from_number": "\\udfff"}',
    *[json.dumps({f: v for f in FIELDS}).encode() for v in JUNK_VALUES],
    json.dumps({f: [{"nested": [{"deeper": ["junk"]}]}] for f in FIELDS}).encode(),
]
BODY_METHODS = {"POST", "PUT", "PATCH"}
JUNK_PATHS = [
    "%00",
    "x" * 64,
    "x" * 65,
    "..%2F..%2Fetc%2Fpasswd",
    "00000000-0000-0000-0000-000000000000",
    "%F0%9F%92%A5",
]
JUNK_QUERIES = ["limit=-1", "limit=99999999999999999999", "cursor=%00", "cursor=" + "A" * 3000, "limit=1&limit=x"]


def junk_requests(route: Route) -> Iterator[tuple[str, str, bytes | None]]:
    path = re.sub(r"\{\w+\}", str(uuid.uuid4()), route.path)
    if route.method in BODY_METHODS:
        for body in JUNK_BODIES:
            yield route.method, path, body
    else:
        for query in JUNK_QUERIES:
            yield route.method, f"{path}?{query}", None
    if "{" in route.path:
        for junk in JUNK_PATHS:
            yield route.method, re.sub(r"\{\w+\}", junk, route.path), b"{}" if route.method in BODY_METHODS else None


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_no_malformed_request_causes_a_server_error(api: ApiClient, admin: User, route: Route):
    failures = []
    for method, path, body in junk_requests(route):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        response = api.request(method, path, admin, content=body, headers=headers)
        if response.status_code >= 500 or "Traceback" in response.text:
            failures.append((method, path, (body or b"")[:80], response.status_code, response.text[:200]))
        elif response.status_code >= 400:
            assert_error(response, response.status_code, response.json()["error"]["code"])
    assert not failures


def test_an_unauthenticated_malformed_request_is_still_just_unauthorized(api: ApiClient):
    response = api.request("POST", "/calls", content=b"[" * 3000, headers={"Content-Type": "application/json"})
    assert_unauthorized(response)
