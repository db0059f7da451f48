"""End-to-end fixtures: the local exchange (`python -m local`, as `make dev` starts it) on a free
loopback port, or the stage named by DCE_BASE_URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from local.launcher import running_exchange
from tests.e2e.api_client import ApiClient, User

ROOT = Path(__file__).resolve().parents[2]
ADMIN_EMAIL = "admin@dce.local"
ADMIN_PASSWORD = "e2e-admin-password-123"


@contextmanager
def local_stack(**env: str) -> Iterator[str]:
    """`python -m local` on a free loopback port with the test settings plus `env`; yields its API URL."""
    settings = {"DCE_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL, "DCE_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD}
    with running_exchange({**settings, "DCE_WORKERS": "2", **env}) as base:
        yield f"{base}/api/v1"


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    if os.environ.get("DCE_BASE_URL"):
        yield os.environ["DCE_BASE_URL"].rstrip("/")
        return
    with local_stack() as url:
        yield url


@pytest.fixture(scope="session")
def api(base_url: str) -> ApiClient:
    return ApiClient(base_url)


@pytest.fixture(scope="session")
def admin(api: ApiClient) -> User:
    return api.admin(
        os.environ.get("DCE_E2E_ADMIN_EMAIL", ADMIN_EMAIL), os.environ.get("DCE_E2E_ADMIN_PASSWORD", ADMIN_PASSWORD)
    )


@pytest.fixture
def buyer(api: ApiClient) -> User:
    return api.sign_up("buyer")


@pytest.fixture
def seller(api: ApiClient) -> User:
    return api.sign_up("seller")
