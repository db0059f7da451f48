"""Print the exchange's real-time events, one JSON line each: `{"id", "type", "ts", "data"}`.

    .venv/bin/python examples/listen_events.py --token "$TOKEN"
    .venv/bin/python examples/listen_events.py --email buyer@example.com          # asks for the password
    .venv/bin/python examples/listen_events.py --token "$TOKEN" --topics call auction.closed

It connects to `ws://<host>/ws/events?token=<access token>` beside the REST API (`--url`, default the
local exchange of `make dev`; a deployed stage: `--url <ApiUrl>/api/v1 --ws-url <WebSocketUrl>`). The
server closes the connection when the access token expires (15 minutes): given `--email`, the script logs
in again and reconnects; given `--token`, it stops and says so. Events go to stdout, everything else
(connected, pong, reconnecting) to stderr, so `... | jq .type` works. Ctrl-C stops it.
Needs only the `websockets` package (`pip install websockets`; it is in the project's `local` extra).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlsplit

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

DEFAULT_URL = "http://127.0.0.1:8080/api/v1"
PING_EVERY_S = 300  # API Gateway drops a connection idle for 10 minutes: say something before that


def main() -> int:
    args = parse_args()
    ws_url = args.ws_url or default_ws_url(args.url)
    password = (os.environ.get("DCE_PASSWORD") or getpass.getpass(f"Password for {args.email}: ")) if args.email else ""
    try:
        while True:
            token = args.token or log_in(args.url, args.email, password)
            try:
                with connect(f"{ws_url}?token={quote(token)}", open_timeout=10, close_timeout=2) as connection:
                    note(f"listening on {ws_url} (Ctrl-C stops)")
                    listen(connection, args.topics)
            except InvalidStatus as refused:
                note(f"the server refused the connection: HTTP {refused.response.status_code} (a valid access token?)")
                return 1
            except ConnectionClosed as closed:
                if not args.email:
                    note(f"the server closed the connection ({closed}): the token has probably expired; run again")
                    return 1
                note("the server closed the connection (the token expired?): logging in again")
    except KeyboardInterrupt:
        return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("DCE_API_URL", DEFAULT_URL), help=f"REST API ({DEFAULT_URL})")
    parser.add_argument("--ws-url", help="WebSocket URL (default: /ws/events on the REST API's host)")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--token", help="an access token (POST /auth/login); the connection lasts as long as it")
    who.add_argument("--email", help="log in as this account (password: $DCE_PASSWORD or asked)")
    parser.add_argument("--topics", nargs="+", help="only events whose type starts with one of these")
    return parser.parse_args()


def default_ws_url(api_url: str) -> str:
    parts = urlsplit(api_url)
    return f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}/ws/events"


def log_in(api_url: str, email: str, password: str) -> str:
    if urlsplit(api_url).scheme not in ("http", "https"):
        raise SystemExit(f"--url must be http(s): {api_url}")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        api_url.rstrip("/") + "/auth/login",
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (http or https only)
            return str(json.load(response)["access_token"])
    except urllib.error.HTTPError as error:
        raise SystemExit(f"log-in failed: HTTP {error.code} {error.read().decode(errors='replace').strip()}") from None


def listen(connection: ClientConnection, topics: list[str] | None) -> None:
    """Print every pushed event until the connection closes (ConnectionClosed) or Ctrl-C."""
    if topics:
        connection.send(json.dumps({"action": "subscribe", "topics": topics}))
    while True:
        try:
            frame: dict[str, Any] = json.loads(connection.recv(timeout=PING_EVERY_S))
        except TimeoutError:
            connection.send(json.dumps({"action": "ping"}))
            continue
        if "id" in frame:  # an event; replies to our messages (subscribed, pong, error) carry no id
            print(json.dumps(frame), flush=True)
        else:
            note(f"server: {json.dumps(frame)}")


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
