"""Rate limits over HTTP (contract: 429 RATE_LIMITED with Retry-After), on local exchanges of their own.

Refills are tested with small limits on the real clock: 5 requests a second with bursts of 20 per caller,
3 failed log-ins per email and 6 per client IP in 4-second windows. The seed's check runs against a plain
local stack (its test-mode defaults, 25 a second with bursts of 50) on the real clock. The other suites run
with limits they never reach.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest

from dce.config import Settings
from tests.e2e.api_client import PASSWORD, ApiClient, User, unique_email
from tests.e2e.assertions import assert_error
from tests.e2e.conftest import local_stack

# 5 a second: a loaded CI machine still sends faster than the refill (requests under 200 ms each).
PER_SECOND, BURST, LOGIN_WINDOW = 5, 20, 4
LIMITS = {
    "DCE_RATE_LIMIT_PER_SECOND": str(PER_SECOND),
    "DCE_RATE_LIMIT_BURST": str(BURST),
    "DCE_LOGIN_FAILURES_PER_EMAIL": "3",
    "DCE_LOGIN_FAILURES_PER_IP": "6",
    "DCE_LOGIN_WINDOW_SECONDS": str(LOGIN_WINDOW),
}


@pytest.fixture(scope="module")
def limited() -> Iterator[ApiClient]:
    pinned = os.environ.pop("DCE_FIXED_NOW", None)  # buckets refill by the real clock here
    try:
        with local_stack(**LIMITS) as url:
            yield ApiClient(url)
    finally:
        if pinned is not None:
            os.environ["DCE_FIXED_NOW"] = pinned


@contextmanager
def plain_local_settings() -> Iterator[None]:
    """The environment of a plain `make dev`: no test overrides of the limits, the real clock, env `local`."""
    names = [name for name in os.environ if name.startswith("DCE_RATE_LIMIT_") or name == "DCE_FIXED_NOW"]
    saved = {name: os.environ.pop(name) for name in names}
    try:
        yield
    finally:
        os.environ.update(saved)


def test_at_the_local_defaults_200_rapid_requests_with_one_token_meet_a_429():
    """The seed's check against a plain local stack (test-mode limits 25/s, bursts of 50; the real clock; its
    default workers): 200 rapid requests with one token — sent by 8 threads, as a client in a hurry does —
    meet a 429 with Retry-After, and only after at least the burst was served."""
    assert (Settings(env="local").rate_limit_per_second, Settings(env="local").rate_limit_burst) == (25, 50)
    with plain_local_settings(), local_stack(DCE_ENV="local", DCE_WORKERS="4") as url:
        api = ApiClient(url)
        user = api.sign_up("buyer")  # sign-up and log-in are anonymous: they spend the client IP's tokens
        with ThreadPoolExecutor(max_workers=8) as pool:
            responses = list(pool.map(lambda _: api.get("/calls", user), range(200)))
    statuses = [response.status_code for response in responses]
    assert set(statuses) == {200, 429}, statuses
    assert statuses.count(200) >= 50  # at least the burst was served
    refused = next(response for response in responses if response.status_code == 429)
    assert_error(refused, 429, "RATE_LIMITED")
    assert int(refused.headers["retry-after"]) == 1  # one token comes back in 1/25 s: retry in a second


@pytest.fixture(scope="module")
def users(limited: ApiClient) -> dict[str, User]:
    """Signed up and logged in before any test spends the client IP's tokens or log-in failures."""
    made = {name: limited.sign_up("buyer") for name in ("hasty", "calm", "victim")}
    refill()
    return made


def refill() -> None:
    """Wait until every bucket is full again."""
    time.sleep(BURST / PER_SECOND + 0.2)


def assert_rate_limited(response: httpx.Response) -> int:
    assert_error(response, 429, "RATE_LIMITED")
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= LOGIN_WINDOW
    return retry_after


def until_limited(api: ApiClient, path: str, user: User) -> httpx.Response:
    """GET `path` as `user` until a 429 (at most 200 requests)."""
    for _ in range(200):
        response = api.get(path, user)
        if response.status_code == 429:
            break
    return response


def test_200_rapid_requests_with_one_token_meet_a_429_with_retry_after(limited: ApiClient, users: dict[str, User]):
    """The seed's check."""
    statuses = []
    for _ in range(200):
        response = limited.get("/calls", users["hasty"])
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert_rate_limited(response)
            break
    assert statuses[-1] == 429
    assert len(statuses) > BURST  # the burst was granted first
    assert set(statuses[:BURST]) == {200}
    refill()


def test_one_callers_limit_does_not_slow_another(limited: ApiClient, users: dict[str, User]):
    assert_rate_limited(until_limited(limited, "/profile", users["hasty"]))
    assert limited.get("/profile", users["calm"]).status_code == 200
    refill()


def test_a_throttled_caller_is_served_again_after_retry_after(limited: ApiClient, users: dict[str, User]):
    response = until_limited(limited, "/account/balance", users["hasty"])
    time.sleep(assert_rate_limited(response))
    assert limited.get("/account/balance", users["hasty"]).status_code == 200
    refill()


def test_anonymous_requests_are_limited_per_client_ip(limited: ApiClient, users: dict[str, User]):
    refresh = {"refresh_token": "not-a-token"}  # anonymous, and not a log-in: no brute-force counter
    statuses = [limited.post("/auth/refresh", refresh).status_code for _ in range(BURST + 30)]
    assert statuses[:BURST] == [401] * BURST and 429 in statuses
    assert limited.get("/profile", users["calm"]).status_code == 200  # an account has its own bucket
    refill()


def test_a_forged_x_forwarded_for_does_not_give_an_anonymous_caller_another_bucket(
    limited: ApiClient, users: dict[str, User]
):
    """The client IP is the address the gateway saw (no proxy is trusted by default): a new X-Forwarded-For on
    each request is still the same caller, and meets the same 429."""
    refresh = {"refresh_token": "not-a-token"}
    statuses = [
        limited.post("/auth/refresh", refresh, headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
        for n in range(BURST + 30)
    ]
    assert statuses[:BURST] == [401] * BURST and 429 in statuses
    refill()


def test_the_health_check_spends_no_tokens(limited: ApiClient, users: dict[str, User]):
    """It touches no table (only API Gateway's stage throttling bounds it); everything else is limited."""
    assert [limited.get("/health").status_code for _ in range(BURST + 30)] == [200] * (BURST + 30)
    assert_rate_limited(until_limited(limited, "/profile", users["calm"]))
    refill()


def start_of_a_login_window() -> None:
    """Failures are counted in fixed windows: start right after one begins, so a test's attempts share it."""
    time.sleep(LOGIN_WINDOW - time.time() % LOGIN_WINDOW + 0.05)


def test_failed_logins_for_one_email_are_limited_even_with_the_right_password(
    limited: ApiClient, users: dict[str, User]
):
    start_of_a_login_window()
    victim = users["victim"].email
    for _ in range(3):
        wrong = limited.post("/auth/login", {"email": victim, "password": "wrong-guess-1234"})
        assert_error(wrong, 401, "INVALID_CREDENTIALS")
    assert_rate_limited(limited.post("/auth/login", {"email": victim, "password": PASSWORD}))
    assert limited.post("/auth/login", {"email": users["calm"].email, "password": PASSWORD}).status_code == 200


def test_failed_logins_from_one_ip_are_limited_across_emails(limited: ApiClient, users: dict[str, User]):
    start_of_a_login_window()
    for _ in range(6):
        response = limited.post("/auth/login", {"email": unique_email("guess"), "password": "wrong-guess-1234"})
        assert_error(response, 401, "INVALID_CREDENTIALS")
    response = limited.post("/auth/login", {"email": users["calm"].email, "password": PASSWORD})
    assert_rate_limited(response)
    assert "calm" not in response.text
    start_of_a_login_window()  # leave the next test a clean window
    assert limited.post("/auth/login", {"email": users["calm"].email, "password": PASSWORD}).status_code == 200
