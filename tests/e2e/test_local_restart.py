"""`make dev` as a new user meets it: what was signed up survives a restart (and its tokens still work),
`DCE_FRESH=1` (`make dev-reset`) starts empty, and a second start on a busy port or state directory
stops at once with one line and exit code 2, before printing anything else."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from local.emulator import LOOPBACK
from tests.e2e.api_client import PASSWORD, ApiClient
from tests.e2e.conftest import ROOT, local_stack

pytestmark = pytest.mark.local_only  # starts its own local stacks


def local_command(port: int, **env: str) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, "DCE_PERSIST": "0", "DCE_FRESH": "", **env}
    environment.pop("AWS_ENDPOINT_URL", None)
    return subprocess.run(  # noqa: S603 (our own module, fixed arguments)
        [sys.executable, "-m", "local", "--port", str(port), "--quiet"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        timeout=60,
    )


def test_accounts_and_tokens_survive_a_restart_and_dce_fresh_starts_empty(tmp_path: Path) -> None:
    state = tmp_path / "state"
    # DCE_JWT_SECRET empty: the stack's own kept key, as `make dev` runs (the suite's key is set otherwise).
    env = {"DCE_STATE_DIR": str(state), "DCE_JWT_SECRET": ""}
    with local_stack(**env) as url:
        buyer = ApiClient(url).sign_up("buyer")

    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    for name in ("dynamodb.json", "jwt-secret"):
        assert stat.S_IMODE((state / name).stat().st_mode) == 0o600

    with local_stack(**env) as url:
        api = ApiClient(url)
        assert api.login(buyer.email)["access_token"]
        assert api.get("/profile", buyer).json()["email"] == buyer.email  # a token from before the restart
        # The same state directory cannot be used by a second stack at the same time.
        busy = local_command(0, DCE_STATE_DIR=str(state), DCE_PERSIST="1")
        lines = busy.stderr.decode().splitlines()
        assert busy.returncode == 2 and len(lines) == 1, lines
        assert lines[0].startswith(f"error: the state directory {state} is in use by another local stack")
        assert busy.stdout == b""

    with local_stack(**env, DCE_FRESH="1") as url:
        api = ApiClient(url)
        assert api.post("/auth/login", {"email": buyer.email, "password": PASSWORD}).status_code == 401
        assert api.get("/profile", buyer).status_code == 401  # a new signing key too


def test_a_second_start_on_a_busy_port_exits_2_with_one_line_and_no_banner() -> None:
    with socket.socket() as taken:
        taken.bind((LOOPBACK, 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = local_command(port)
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [
        f"error: {LOOPBACK}:{port} is already in use (another make dev?): stop it or set DCE_PORT=..."
    ]
    assert done.stdout == b""
