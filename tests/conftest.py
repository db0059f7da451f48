"""Shared fixtures: environment, moto with our tables, Lambda events and contexts, handlers."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

# Test settings, applied before any dce module reads them. The e2e gateway inherits them too.
TEST_ENV = {
    "DCE_ENV": "test",
    "DCE_TABLE_PREFIX": "dce-test",
    "DCE_JWT_SECRET": "test-secret-for-unit-tests-only-0123456789abcdef",
    "DCE_PASSWORD_TIME_COST": "1",
    "DCE_PASSWORD_MEMORY_KIB": "1024",
    "DCE_SIGNUP_CREDIT": "1000.00",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    # No EMF on stdout (tests that check metrics switch them on); the namespace the infrastructure would set.
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "dce-test",
    # The compliance checks' clock, pinned so TCPA hours never depend on when the suite runs: a
    # Wednesday 15:00 in New York, 12:00 in California, 09:00 in Hawaii (inside 08:00-21:00).
    "DCE_FIXED_NOW": "2025-06-18T19:00:00Z",
    # Suites create many calls per buyer within one (pinned) hour; velocity is tested on its own.
    "DCE_CALLS_PER_HOUR": "100000",
    # Suites share one caller (admin) and one client IP across many tests: rate limits and login brute-force
    # limits are tested on their own (tests/security/test_rate_limits.py).
    "DCE_RATE_LIMIT_PER_SECOND": "100000",
    "DCE_RATE_LIMIT_BURST": "100000",
    "DCE_LOGIN_FAILURES_PER_EMAIL": "100000",
    "DCE_LOGIN_FAILURES_PER_IP": "100000",
    "DCE_LOGIN_ATTEMPTS_PER_EMAIL": "100000",
    "DCE_LOGIN_ATTEMPTS_PER_IP": "100000",
    "DCE_SIGNUPS_PER_IP": "100000",
}
os.environ.update(TEST_ENV)
os.environ.pop("AWS_ENDPOINT_URL", None)
JWT_SECRET = TEST_ENV["DCE_JWT_SECRET"]


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """One moto server on loopback per test process, as the local stack runs it (real HTTP)."""
    from local.emulator import start_moto

    emulator = start_moto()
    yield emulator.endpoint
    emulator.stop()
    os.environ.pop("AWS_ENDPOINT_URL", None)


@pytest.fixture
def aws(moto_server: str) -> Iterator[None]:
    """A fresh, empty moto with every table from TABLES; services rebuilt against it."""
    import urllib.request

    from dce import bootstrap
    from local.emulator import create_tables
    from local.queues import create_queues

    reset = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")  # noqa: S310 (loopback)
    urllib.request.urlopen(reset).close()  # noqa: S310
    bootstrap.reset()
    create_tables(TEST_ENV["DCE_TABLE_PREFIX"])
    os.environ.update(create_queues(TEST_ENV["DCE_TABLE_PREFIX"]))  # the same URLs each time (one moto)
    yield
    bootstrap.reset()


@pytest.fixture
def lambda_context() -> Any:
    from local.lambda_runtime import LambdaContext

    return LambdaContext("test")


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: Any
    raw: str


def make_event(
    method: str,
    path: str,
    body: Any = None,
    principal: Any = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A REST proxy event for `method path` as API Gateway would send it after the authorizer."""
    from dce.api.auth import authorizer_context
    from dce.api.routes import ROUTES
    from local.events import rest_event
    from local.gateway import compile_routes, match_route

    route, params = match_route(compile_routes(ROUTES), method, path)
    raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    all_headers = {"content-type": "application/json", **(headers or {})}
    event = rest_event(route, path, params, all_headers, raw, list((query or {}).items()), str(uuid.uuid4()))
    if principal is not None:
        event["requestContext"]["authorizer"] = {"principalId": principal.account_id, **authorizer_context(principal)}
    return event


@pytest.fixture
def call_api(aws: None, lambda_context: Any) -> Callable[..., ApiResponse]:
    """Run a request through the right Lambda handler in-process (the authorizer's result given)."""
    from dce.api.routes import API_PREFIX
    from local.lambda_runtime import load_handler

    handlers: dict[str, Any] = {}

    def call(method: str, path: str, body: Any = None, as_: Any = None, **kwargs: Any) -> ApiResponse:
        full = path if path.startswith(API_PREFIX) else API_PREFIX + path
        event = make_event(method, full, body, as_, **kwargs)
        from dce.api.routes import find_route

        route = find_route(method, event["resource"])
        assert route is not None
        if route.area not in handlers:
            handlers[route.area] = load_handler(route.area)
        result = handlers[route.area](event, lambda_context)
        headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
        for key, values in (result.get("multiValueHeaders") or {}).items():
            headers[key] = ", ".join(values)
        raw = result.get("body") or ""
        return ApiResponse(result["statusCode"], headers, json.loads(raw) if raw else None, raw)

    return call


# The longest tests, started first so that the other worker runs the rest beside them (with `--dist
# worksteal`, `make test`): at the end of the queue the money state machine alone kept one core idle ~4 min.
LONGEST_FIRST = ("tests/integration/test_money_conservation.py", "tests/infra/test_cli_synth.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: the order within each group is kept
