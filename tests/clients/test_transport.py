"""The SDK's transport on `httpx.MockTransport` (no server): retries, Idempotency-Key, token renewal,
typed errors, exact money and pagination. The same against a real exchange is in test_sdk.py."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import pytest

from dce_client import (
    AsyncClient,
    AuthenticationError,
    BadRequestError,
    Client,
    ConflictError,
    DceConnectionError,
    NotFoundError,
    RateLimitedError,
    RetryPolicy,
    ServerError,
    ServiceUnavailableError,
)

BASE = "https://dce.test/api/v1"
CALL_ID = "40e5193a-9e2d-485f-a3d4-4ee8dee50c12"
BUYER_ID = "ba0b6b1d-61db-49f5-9123-9670323f3c01"
CALL = {
    "id": CALL_ID,
    "from_number": "+14155551234",
    "to_number": "+18005551234",
    "direction": "inbound",
    "status": "pending",
    "buyer_id": BUYER_ID,
    "max_duration": 600,
    "created_at": "2025-06-18T19:00:00.123456Z",
    "updated_at": "2025-06-18T19:00:00.123456Z",
}
Handler = Callable[[httpx.Request], httpx.Response]


def fake_jwt(exp: float) -> str:
    """An unsigned token shaped like the exchange's (the client reads `exp` only to schedule refreshes)."""
    claims = base64.urlsafe_b64encode(json.dumps({"exp": int(exp), "sub": BUYER_ID}).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJub25lIn0.{claims}.not-a-signature"


def tokens(exp_in: float = 900) -> dict[str, Any]:
    return {"access_token": fake_jwt(time.time() + exp_in), "refresh_token": f"refresh-{time.monotonic_ns()}",
            "token_type": "Bearer", "expires_in": 900}  # fmt: skip


def error(status: int, code: str, message: str = "nope", **headers: str) -> httpx.Response:
    body = {"error": {"code": code, "message": message, "request_id": f"req-{status}"}}
    return httpx.Response(status, json=body, headers={"X-Request-Id": f"req-{status}", **headers})


class Recorder:
    """A scripted server: answers in order, remembering every request."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    def keys(self) -> list[str | None]:
        return [r.headers.get("idempotency-key") for r in self.requests]


def client(server: Recorder, sleeps: list[float] | None = None, **kwargs: Any) -> Client:
    retry = RetryPolicy(sleep=(sleeps if sleeps is not None else []).append, jitter=False)
    kwargs.setdefault("api_key", "dce_fake-key-for-tests")
    return Client(BASE, http=httpx.Client(transport=httpx.MockTransport(server)), retry=retry, **kwargs)


def test_429_is_retried_after_retry_after_with_the_same_idempotency_key():
    server = Recorder(error(429, "RATE_LIMITED", **{"Retry-After": "3"}), httpx.Response(201, json=CALL))
    sleeps: list[float] = []
    call = client(server, sleeps).calls.create("+14155551234", "+18005551234", direction="inbound")
    assert call.id == UUID(CALL_ID)
    assert sleeps == [3.0]
    keys = server.keys()
    assert len(keys) == 2 and keys[0] is not None and keys[0] == keys[1]


def test_every_post_gets_its_own_key_and_gets_carry_none():
    server = Recorder(httpx.Response(201, json=CALL))
    sdk = client(server)
    sdk.calls.create("+14155551234", "+18005551234")
    sdk.calls.create("+14155551234", "+18005551234")
    sdk.calls.get(CALL_ID)
    first, second, get = server.keys()
    assert first and second and first != second and get is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_on_a_post_is_retried_with_the_same_key(status: int):
    server = Recorder(error(status, "INTERNAL_ERROR"), error(status, "INTERNAL_ERROR"), httpx.Response(201, json=CALL))
    sleeps: list[float] = []
    client(server, sleeps).calls.create("+14155551234", "+18005551234")
    assert len(set(server.keys())) == 1 and len(server.requests) == 3
    assert sleeps == [0.25, 0.5]  # exponential backoff (jitter off)


def test_a_broken_connection_is_retried_with_the_same_key():
    server = Recorder(httpx.ConnectError("refused"), httpx.ReadError("reset"), httpx.Response(201, json=CALL))
    call = client(server).calls.create("+14155551234", "+18005551234")
    assert call.status == "pending"
    assert len(server.requests) == 3 and len(set(server.keys())) == 1


def test_gives_up_after_max_retries_with_a_typed_error():
    server = Recorder(error(503, "COMPLIANCE_UNAVAILABLE", "try again"))
    sleeps: list[float] = []
    with pytest.raises(ServiceUnavailableError) as raised:
        client(server, sleeps).calls.create("+14155551234", "+18005551234")
    assert raised.value.status == 503 and raised.value.code == "COMPLIANCE_UNAVAILABLE"
    assert isinstance(raised.value, ServerError)
    assert len(server.requests) == 5 and len(sleeps) == 4  # 1 + max_retries

    server = Recorder(httpx.ConnectError("refused"))
    with pytest.raises(DceConnectionError) as broken:
        client(server).health()
    assert broken.value.status is None and len(server.requests) == 5


def test_a_retry_after_longer_than_the_cap_is_raised_not_waited_for():
    server = Recorder(error(429, "RATE_LIMITED", **{"Retry-After": "900"}))
    sleeps: list[float] = []
    with pytest.raises(RateLimitedError) as raised:
        client(server, sleeps).calls.get(CALL_ID)
    assert raised.value.retry_after == 900 and sleeps == [] and len(server.requests) == 1


def test_a_status_change_is_not_resent_after_a_lost_answer_but_429_is():
    server = Recorder(error(500, "INTERNAL_ERROR"))
    with pytest.raises(ServerError):
        client(server).calls.update_status(CALL_ID, "ringing")
    assert len(server.requests) == 1
    server = Recorder(httpx.ReadError("reset"))
    with pytest.raises(DceConnectionError):
        client(server).calls.update_status(CALL_ID, "ringing")
    assert len(server.requests) == 1
    server = Recorder(error(429, "RATE_LIMITED", **{"Retry-After": "1"}), httpx.Response(200, json=CALL))
    assert client(server).calls.update_status(CALL_ID, "ringing").id == UUID(CALL_ID)


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, "VALIDATION_ERROR", BadRequestError),
        (401, "UNAUTHORIZED", AuthenticationError),
        (404, "CALL_NOT_FOUND", NotFoundError),
        (409, "BID_NOT_HIGHER", ConflictError),
    ],
)
def test_errors_are_typed_and_carry_code_message_and_request_id(status: int, code: str, kind: type[Exception]):
    server = Recorder(error(status, code, "Invalid from number: not E.164"))
    with pytest.raises(kind) as raised:
        client(server).calls.get(CALL_ID)
    failure: Any = raised.value
    assert (failure.status, failure.code, failure.request_id) == (status, code, f"req-{status}")
    assert failure.message == "Invalid from number: not E.164"
    assert code in str(failure) and f"req-{status}" in str(failure)


def test_validation_details_are_field_errors():
    body = {"error": {"code": "VALIDATION_ERROR", "message": "Invalid amount", "request_id": "r1",
                      "details": [{"field": "amount", "message": "at most 2 decimals"}]}}  # fmt: skip
    server = Recorder(httpx.Response(400, json=body))
    with pytest.raises(BadRequestError) as raised:
        client(server).bids.place(CALL_ID, Decimal("1.00"))
    assert raised.value.details[0].field == "amount"


def test_money_goes_out_as_an_exact_json_number():
    bid = {"id": CALL_ID, "auction_id": CALL_ID, "seller_id": BUYER_ID, "amount": 22.1, "status": "active",
           "placed_at": "2025-06-18T19:00:00Z"}  # fmt: skip
    server = Recorder(httpx.Response(201, json=bid))
    sdk = client(server)
    placed = sdk.bids.place(CALL_ID, Decimal("22.10"))
    assert server.requests[0].content == f'{{"auction_id":"{CALL_ID}","amount":22.10}}'.encode()
    assert placed.amount == Decimal("22.10") and isinstance(placed.amount, Decimal)
    sdk.bids.place(CALL_ID, 0.1)  # a float goes through its shortest text, not its binary value
    assert server.requests[1].content.endswith(b'"amount":0.1}')


def test_an_access_token_about_to_expire_is_refreshed_before_the_request():
    stored: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/refresh"):
            assert json.loads(request.content) == {"refresh_token": "refresh-old"}
            return httpx.Response(200, json=tokens())
        return httpx.Response(200, json=CALL)

    server = Recorder(answer)
    sdk = client(server, api_key=None, access_token=fake_jwt(time.time() + 5), refresh_token="refresh-old",
                 on_tokens=lambda pair: stored.append(pair.refresh_token))  # fmt: skip
    sdk.calls.get(CALL_ID)
    assert [r.url.path for r in server.requests] == ["/api/v1/auth/refresh", f"/api/v1/calls/{CALL_ID}"]
    assert server.requests[1].headers["authorization"] == f"Bearer {sdk.session.access_token}"
    assert stored == [sdk.session.refresh_token]
    sdk.calls.get(CALL_ID)  # fresh now: no second refresh
    assert len(server.requests) == 3


def test_a_401_renews_the_token_once_and_repeats_the_request_with_the_same_key():
    fresh = tokens()

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/refresh"):
            return httpx.Response(200, json=fresh)
        if request.headers["authorization"] == f"Bearer {fresh['access_token']}":
            return httpx.Response(201, json=CALL)
        return error(401, "UNAUTHORIZED", "Token revoked")

    server = Recorder(answer)
    sdk = client(server, api_key=None, access_token=fake_jwt(time.time() + 600), refresh_token="refresh-old")
    sdk.calls.create("+14155551234", "+18005551234")
    paths = [r.url.path for r in server.requests]
    assert paths == ["/api/v1/calls", "/api/v1/auth/refresh", "/api/v1/calls"]
    assert server.requests[0].headers["idempotency-key"] == server.requests[2].headers["idempotency-key"]


def test_a_refused_refresh_falls_back_to_logging_in_and_a_refresh_is_never_resent():
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/refresh"):
            return error(500, "INTERNAL_ERROR")  # maybe rotated, maybe not: never re-sent
        if request.url.path.endswith("/auth/login"):
            return httpx.Response(200, json=tokens())
        return httpx.Response(200, json=CALL)

    server = Recorder(answer)
    sdk = client(server, api_key=None, email="b@example.com", password="fake-password-for-tests")
    sdk.session.set_access_token(fake_jwt(time.time() - 1), "refresh-old")
    with pytest.raises(ServerError):
        sdk.calls.get(CALL_ID)
    assert [r.url.path for r in server.requests] == ["/api/v1/auth/refresh"]

    def refused(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/refresh"):
            return error(401, "UNAUTHORIZED", "Refresh token reused")
        return answer(request)

    server = Recorder(refused)
    sdk = client(server, api_key=None, email="b@example.com", password="fake-password-for-tests")
    sdk.session.set_access_token(fake_jwt(time.time() - 1), "refresh-old")
    assert sdk.calls.get(CALL_ID).id == UUID(CALL_ID)
    assert [r.url.path for r in server.requests] == [
        "/api/v1/auth/refresh",
        "/api/v1/auth/login",
        server.requests[2].url.path,
    ]


def test_without_a_way_to_renew_a_401_is_raised():
    server = Recorder(error(401, "UNAUTHORIZED"))
    with pytest.raises(AuthenticationError):
        client(server, api_key=None, access_token=fake_jwt(time.time() + 600)).calls.get(CALL_ID)
    assert len(server.requests) == 1


def test_api_key_auth_sends_x_api_key():
    server = Recorder(httpx.Response(200, json=CALL))
    client(server, api_key="dce_fake-key-for-tests").calls.get(CALL_ID)
    assert server.requests[0].headers["x-api-key"] == "dce_fake-key-for-tests"
    assert "authorization" not in server.requests[0].headers


def paged(request: httpx.Request) -> httpx.Response:
    """Three pages of calls (2, 0 and 1 items: a page may be empty while a next link remains)."""
    cursor = request.url.params.get("cursor")
    page, following = {None: ([1, 2], "c1"), "c1": ([], "c2"), "c2": ([3], None)}[cursor]
    items = [{**CALL, "id": f"00000000-0000-4000-8000-00000000000{n}"} for n in page]
    link = {"Link": f'</api/v1/calls?limit=2&cursor={following}>; rel="next"'} if following else {}
    return httpx.Response(200, json=items, headers=link)


def test_lists_iterate_over_every_page_following_the_cursor():
    server = Recorder(paged)
    calls = list(client(server).calls.list(limit=2))
    assert [str(c.id)[-1] for c in calls] == ["1", "2", "3"]
    assert [r.url.params.get("cursor") for r in server.requests] == [None, "c1", "c2"]
    assert all(r.url.params["limit"] == "2" for r in server.requests)


def test_the_async_client_retries_and_paginates_alike():
    sleeps: list[float] = []

    async def nap(seconds: float) -> None:
        sleeps.append(seconds)

    server = Recorder(error(429, "RATE_LIMITED", **{"Retry-After": "2"}), paged)
    transport = httpx.MockTransport(server)

    async def run() -> list[str]:
        retry = RetryPolicy(async_sleep=nap, jitter=False)
        async with AsyncClient(BASE, api_key="dce_fake", retry=retry, http=httpx.AsyncClient(transport=transport)) as c:
            return [str(call.id)[-1] async for call in c.calls.list(limit=2)]

    assert asyncio.run(run()) == ["1", "2", "3"]
    assert sleeps == [2.0] and len(server.requests) == 4
