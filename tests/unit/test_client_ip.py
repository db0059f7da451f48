"""Where the client IP comes from (issue 14): the gateway's `sourceIp`; X-Forwarded-For only from a proxy the
deployment names (`DCE_TRUSTED_PROXIES`, empty by default). Rate limiting, Idempotency-Key scoping and the
failed log-in counters all ask dce.api.client_ip, so a forged header moves none of them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dce.api.client_ip import client_ip
from dce.api.rate_limit import caller_key
from dce.config import Settings, settings


def event(source_ip: str | None, forwarded: str | None = None, multi: bool = False) -> dict[str, Any]:
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    built: dict[str, Any] = {"requestContext": {"identity": {"sourceIp": source_ip}}, "headers": headers}
    if multi:
        built["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
    return built


@pytest.fixture
def trusting(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A deployment behind two proxies: one address and a range."""
    monkeypatch.setenv("DCE_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16")
    settings.cache_clear()
    yield
    settings.cache_clear()


def test_no_proxy_is_trusted_by_default():
    assert Settings().trusted_proxies == ""


def test_by_default_the_client_is_the_address_the_gateway_saw_whatever_x_forwarded_for_says():
    assert client_ip(event("203.0.113.7")) == "203.0.113.7"
    assert client_ip(event("203.0.113.7", "198.51.100.1")) == "203.0.113.7"
    assert client_ip(event("203.0.113.7", "198.51.100.1", multi=True)) == "203.0.113.7"
    assert client_ip(event(None, "198.51.100.1")) is None


def test_a_forged_x_forwarded_for_moves_no_anonymous_callers_bucket():
    assert caller_key(event("203.0.113.7", "1.2.3.4")) == caller_key(event("203.0.113.7")) == "ip#203.0.113.7"


def test_behind_a_trusted_proxy_the_client_is_the_nearest_untrusted_forwarded_address(trusting: None):
    # The client wrote "1.2.3.4" itself; the trusted proxy appended the address it saw (198.51.100.9).
    assert client_ip(event("10.0.0.1", "1.2.3.4, 198.51.100.9")) == "198.51.100.9"
    assert client_ip(event("192.168.4.4", "198.51.100.9, 10.0.0.1", multi=True)) == "198.51.100.9"  # 2 proxies


def test_x_forwarded_for_from_an_untrusted_address_is_still_ignored(trusting: None):
    assert client_ip(event("203.0.113.7", "198.51.100.9")) == "203.0.113.7"


def test_a_trusted_proxy_without_a_usable_forwarded_address_is_the_client(trusting: None):
    assert client_ip(event("10.0.0.1")) == "10.0.0.1"
    assert client_ip(event("10.0.0.1", "not-an-address")) == "10.0.0.1"
    assert client_ip(event("10.0.0.1", "192.168.1.1")) == "10.0.0.1"  # only proxies in the chain
