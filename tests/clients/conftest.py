"""Fixtures of the SDK and CLI tests: the end-to-end suite's exchange (tests/e2e/conftest.py: a local
stack on a free loopback port, or DCE_BASE_URL) and SDK clients whose every answer is checked against
the OpenAPI document, as the e2e suite's own client is."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from dce_client import Client
from tests.contract import openapi_contract
from tests.e2e.api_client import PASSWORD, ApiClient, User
from tests.e2e.conftest import admin, api, base_url, buyer, seller

__all__ = ["admin", "api", "base_url", "buyer", "seller"]  # the e2e fixtures, shared


def checked_http(base: str, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """An httpx client for the SDK that checks every response against api/openapi.yaml."""

    def check(response: httpx.Response) -> None:
        openapi_contract.check(response, base)

    return httpx.Client(timeout=30, transport=transport, event_hooks={"response": [check]})


def sdk_for(base: str, user: User, transport: httpx.BaseTransport | None = None) -> Client:
    """An SDK client of a signed-up user: its tokens, and its password to log in again."""
    return Client(
        base,
        email=user.email,
        password=PASSWORD,
        access_token=user.access_token,
        refresh_token=user.refresh_token,
        http=checked_http(base, transport),
    )


def unique_email(label: str) -> str:
    return f"sdk-{label}-{uuid.uuid4().hex[:12]}@example.com"


@pytest.fixture
def buyer_sdk(base_url: str, buyer: User) -> Iterator[Client]:
    with sdk_for(base_url, buyer) as client:
        yield client


@pytest.fixture
def seller_sdk(base_url: str, seller: User) -> Iterator[Client]:
    with sdk_for(base_url, seller) as client:
        yield client


@pytest.fixture
def admin_sdk(base_url: str, admin: User) -> Iterator[Client]:
    with Client(base_url, access_token=admin.access_token, http=checked_http(base_url)) as client:
        yield client


@pytest.fixture
def anonymous_sdk(base_url: str) -> Iterator[Client]:
    with Client(base_url, http=checked_http(base_url)) as client:
        yield client


def fresh_user(api: ApiClient, role: str) -> User:
    return api.sign_up(role, email=unique_email(role))
