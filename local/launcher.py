"""Run the local exchange (`python -m local`, as `make dev` does) in a child process on a free loopback
port, for tests and benchmarks that need a real server."""

from __future__ import annotations

import os
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

from local.emulator import LOOPBACK, free_port

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def running_exchange(env: dict[str, str] | None = None, startup_seconds: float = 60) -> Iterator[str]:
    """Start the exchange with this process's environment plus `env`; yield `http://127.0.0.1:<port>`
    once it is healthy, and stop it with Ctrl-C (SIGINT) on exit. Its output goes to a temporary file
    (a pipe nobody reads could fill and block the server) and is shown if it fails to start.
    It keeps no state (DCE_PERSIST=0: never the checkout's `.dce/`) unless `env` names a DCE_STATE_DIR."""
    port = free_port()
    state = {"DCE_PERSIST": "1" if "DCE_STATE_DIR" in (env or {}) else "0", "DCE_FRESH": ""}
    environment = {**os.environ, **state, **(env or {})}
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
