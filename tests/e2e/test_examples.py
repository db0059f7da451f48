"""What a new user runs from the README: examples/listen_events.py against a running exchange, and curl,
whose output stays on lines of its own because every JSON body ends with a newline."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

import httpx
import jwt
import pytest

from tests.conftest import JWT_SECRET
from tests.e2e.api_client import PASSWORD, ApiClient, User
from tests.e2e.events_client import ws_url

ROOT = Path(__file__).resolve().parents[2]
LISTEN = ROOT / "examples" / "listen_events.py"
INBOUND = {"from_number": "+14155551234", "to_number": "+18005551234", "direction": "inbound"}
WAIT_S = 20.0


class Lines:
    """A pipe read line by line on a thread of its own, so a test can wait for a line with a timeout."""

    def __init__(self, pipe: IO[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(pipe,), daemon=True).start()

    def _pump(self, pipe: IO[str]) -> None:
        for line in pipe:
            self._queue.put(line.rstrip("\n"))

    def wait_for(self, predicate: Any, timeout: float = WAIT_S) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if predicate(line):
                return line
        raise AssertionError(f"no matching line within {timeout} s; read: {self.seen}")

    def rest(self) -> str:
        while not self._queue.empty():
            self.seen.append(self._queue.get())
        return "\n".join(self.seen)


def listen(base_url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 (our example, fixed arguments)
        [sys.executable, str(LISTEN), "--url", base_url, "--ws-url", ws_url(base_url), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
    )


def stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGINT)  # Ctrl-C
    try:
        return process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def test_listen_events_prints_each_event_as_a_json_line_and_stops_on_ctrl_c(api: ApiClient, base_url: str, buyer: User):
    # --email: the script logs in itself (the password from $DCE_PASSWORD), as the README shows.
    process = listen(base_url, "--email", buyer.email, env={"DCE_PASSWORD": PASSWORD})
    assert process.stdout is not None and process.stderr is not None
    out, err = Lines(process.stdout), Lines(process.stderr)
    try:
        err.wait_for(lambda line: line.startswith("listening on "))
        created = api.post("/calls", INBOUND, buyer)
        assert created.status_code == 201, created.text
        call_id = created.json()["id"]
        line = out.wait_for(lambda line: call_id in line)
        event = json.loads(line)
        assert set(event) == {"id", "type", "ts", "data"}
        assert event["type"] == "call.created" and event["data"]["call"]["id"] == call_id
    finally:
        code = stop(process)
    assert code == 0, err.rest()
    assert "Traceback" not in err.rest()


@pytest.mark.local_only  # the short-lived token is signed with the test suite's key
def test_listen_events_stops_and_says_so_when_its_token_expires(api: ApiClient, base_url: str, buyer: User):
    """The server closes a connection whose token has expired (at the next event for it); with --token
    the script cannot log in again, so it says why and exits 1."""
    now = int(time.time())
    claims = {"sub": buyer.id, "role": buyer.role, "iss": "dependable-call-exchange", "aud": "api", "jti": "x"}
    token = jwt.encode({**claims, "iat": now - 60, "exp": now + 2}, JWT_SECRET, algorithm="HS256")
    process = listen(base_url, "--token", token)
    assert process.stdout is not None and process.stderr is not None
    out, err = Lines(process.stdout), Lines(process.stderr)
    try:
        err.wait_for(lambda line: line.startswith("listening on "))
        time.sleep(3)  # the token has expired
        assert api.post("/calls", INBOUND, buyer).status_code == 201
        err.wait_for(lambda line: "closed the connection" in line and "expired" in line)
        assert process.wait(timeout=WAIT_S) == 1
    finally:
        process.kill()
    assert out.rest() == "" and "Traceback" not in err.rest()


def test_listen_events_says_when_the_token_is_refused(base_url: str):
    process = listen(base_url, "--token", "not-a-token")
    output, errors = process.communicate(timeout=30)
    assert process.returncode == 1 and output == ""
    assert "refused the connection: HTTP 401" in errors and "Traceback" not in errors


@pytest.mark.local_only  # a stage's own gateway answers (401, unknown route) come from API Gateway's templates
def test_every_json_body_ends_with_a_newline_so_curl_output_stays_apart(api: ApiClient, base_url: str, buyer: User):
    created = api.post("/calls", INBOUND, buyer)
    responses = {
        "health": api.get("/health"),
        "created": created,
        "one": api.get(f"/calls/{created.json()['id']}", buyer),
        "list": api.get("/calls?limit=2", buyer),
        "handler error": api.get("/calls/00000000-0000-4000-8000-000000000000", buyer),
        "validation error": api.post("/calls", {"from_number": "nope"}, buyer),
        "authorizer 401": api.get("/calls"),
        "unknown route": api.get("/no-such-thing"),
        "wrong method": api.delete("/calls"),
        "openapi.json": httpx.get(f"{base_url}/openapi.json"),
    }
    for name, response in responses.items():
        assert response.headers["content-type"].startswith("application/json"), name
        assert response.content.endswith(b"\n") and not response.content.endswith(b"\n\n"), name
        assert json.loads(response.content) is not None, name
