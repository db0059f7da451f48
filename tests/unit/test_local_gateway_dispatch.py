"""The local gateway's dispatch: the routes that hash passwords (sign-up, log-in, admin users) run in a worker
pool of their own, so a flood of them queues there and never holds the workers of other routes; a request
whose body never came whole runs nothing."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from dce.api.routes import ROUTES
from local.gateway import PASSWORD_WORKERS_NICE, Gateway, password_pool

ALLOW = {
    "principalId": "acct",
    "policyDocument": {"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}]},
    "context": {"account_id": "acct", "role": "admin", "account_status": "active"},
}


class RecordingPool(Executor):
    """Answers every invocation at once and remembers which function ran for which path."""

    def __init__(self) -> None:
        self.ran: list[tuple[str, str]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        area, event = args
        self.ran.append((area, str(event.get("path") or event.get("methodArn"))))
        result: Future[Any] = Future()
        ok = {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}\n"}
        result.set_result(("ok", ALLOW if area == "authorizer" else ok))
        return result


def request(gateway: Gateway, method: str, path: str) -> int:
    sent: list[dict[str, Any]] = []
    body = b"{}"
    headers = [(b"content-type", b"application/json"), (b"authorization", b"Bearer x")]
    scope = {"type": "http", "method": method, "path": path, "headers": headers, "query_string": b""}
    incoming = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(gateway(scope, receive, send))
    return int(sent[0]["status"])


def test_only_the_password_hashing_routes_run_in_the_password_pool():
    hashing = {route.path for route in ROUTES if route.hashes_password}
    assert hashing == {"/accounts", "/auth/login", "/admin/users"}
    pool, passwords = RecordingPool(), RecordingPool()
    gateway = Gateway(pool=pool, passwords=passwords)
    for method, path in (
        ("POST", "/api/v1/accounts"),
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/admin/users"),
        ("GET", "/api/v1/profile"),
        ("POST", "/api/v1/auth/refresh"),
        ("GET", "/api/v1/calls"),
    ):
        assert request(gateway, method, path) == 200
    assert [path for _, path in passwords.ran] == ["/api/v1/accounts", "/api/v1/auth/login", "/api/v1/admin/users"]
    assert {area for area, _ in passwords.ran} == {"accounts"}
    # The authorizer (no hashing: API keys are SHA-256, JWTs HMAC) and every other route use the main pool.
    assert ("accounts", "/api/v1/profile") in pool.ran and ("calls", "/api/v1/calls") in pool.ran
    assert not any(path in {"/api/v1/accounts", "/api/v1/auth/login"} for _, path in pool.ran)


def test_the_password_workers_run_at_a_lower_cpu_priority(monkeypatch):
    monkeypatch.setenv("DCE_PASSWORD_WORKERS", "1")
    pool = password_pool()
    try:
        assert pool.submit(os.nice, 0).result(timeout=60) == os.nice(0) + PASSWORD_WORKERS_NICE
    finally:
        pool.shutdown()


def test_a_body_cut_short_by_a_disconnect_runs_no_handler():
    """A client that hangs up mid-body (or is dropped by the body deadline) gets nothing run on the part sent."""
    pool = RecordingPool()
    gateway = Gateway(pool=pool, passwords=pool)
    incoming = [
        {"type": "http.request", "body": b'{"email": "a@example.com", "pass', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/json")]
    scope = {"type": "http", "method": "POST", "path": "/api/v1/auth/login", "headers": headers, "query_string": b""}
    asyncio.run(gateway(scope, receive, send))
    assert pool.ran == [] and sent == []
