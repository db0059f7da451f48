"""End-to-end fixtures: the local exchange (`python -m local`, as `make dev` starts it) on a free
loopback port, or the stage named by DCE_BASE_URL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from local.emulator import free_port
from tests.e2e.api_client import ApiClient, User

ROOT = Path(__file__).resolve().parents[2]
ADMIN_EMAIL = "admin@dce.local"
ADMIN_PASSWORD = "e2e-admin-password-123"


@contextmanager
def local_stack(**env: str) -> Iterator[str]:
    """`python -m local` on a free loopback port with the test settings plus `env`; yields its API URL."""
    port = free_port()
    environment = {
        **os.environ,
        "DCE_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
        "DCE_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "DCE_WORKERS": "2",
        **env,
    }
    environment.pop("AWS_ENDPOINT_URL", None)
    process = subprocess.Popen(  # noqa: S603 (our own module, fixed arguments)
        [sys.executable, "-m", "local", "--port", str(port), "--quiet"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                raise RuntimeError(f"local gateway exited early:\n{output}")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("local gateway did not become healthy in 60 s")
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


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
