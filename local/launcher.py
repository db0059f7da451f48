"""Run the local exchange (`python -m local`, as `make dev` does) in a child process on a free loopback
port, for tests and benchmarks that need a real server."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

from local.emulator import EMULATOR_CREDENTIALS, LOOPBACK, SECRET_KEY_ENV, free_port

ROOT = Path(__file__).resolve().parent.parent
# The secret key of the exchanges this process starts (their `@connections` API accepts only requests
# signed with it): one per process, so that its tests can sign as the exchange's own processes do.
SECRET_KEY = os.environ.get(SECRET_KEY_ENV) or secrets.token_urlsafe(32)


def exchange_credentials() -> dict[str, str]:
    """boto3 client arguments signing as a started exchange's own processes, e.g. for
    `boto3.client("apigatewaymanagementapi", endpoint_url=base, **exchange_credentials())`."""
    return {
        "aws_access_key_id": EMULATOR_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": SECRET_KEY,
        "region_name": EMULATOR_CREDENTIALS["AWS_REGION"],
    }


@contextmanager
def running_exchange(env: dict[str, str] | None = None, startup_seconds: float = 60) -> Iterator[str]:
    """Start the exchange with this process's environment plus `env`; yield `http://127.0.0.1:<port>`
    once it is healthy, and stop it with Ctrl-C (SIGINT) on exit. Its output goes to a temporary file
    (a pipe nobody reads could fill and block the server) and is shown if it fails to start.
    It keeps no state (DCE_PERSIST=0: never the checkout's `.dce/`) unless `env` names a DCE_STATE_DIR.
    Its embedded emulator's secret key is SECRET_KEY (`exchange_credentials()` signs with it)."""
    port = free_port()
    state = {"DCE_PERSIST": "1" if "DCE_STATE_DIR" in (env or {}) else "0", "DCE_FRESH": ""}
    environment = {**os.environ, **state, SECRET_KEY_ENV: SECRET_KEY, **(env or {})}
    if "AWS_ENDPOINT_URL" not in (env or {}):
        environment.pop("AWS_ENDPOINT_URL", None)  # the child starts its own embedded moto
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(  # noqa: S603 (our own module, fixed arguments)
            [sys.executable, "-m", "local", "--port", str(port), "--quiet"],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        base = f"http://{LOOPBACK}:{port}"
        try:
            _wait_until_healthy(process, base, startup_seconds, output)
            yield base
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_until_healthy(process: subprocess.Popen[bytes], base: str, seconds: float, output: IO[bytes]) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the local exchange exited during start-up:\n{_read(output)}")
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the local exchange did not become healthy in {seconds:.0f} s")
        time.sleep(0.2)


def _read(output: IO[bytes]) -> str:
    output.seek(0)
    return output.read().decode(errors="replace")
