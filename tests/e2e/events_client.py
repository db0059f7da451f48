"""A small client for the WebSocket events API (`websockets` sync client), used by the end-to-end tests."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from websockets.sync.client import ClientConnection, connect

from tests.e2e.api_client import User

WAIT_S = 10.0  # an expected frame arrives well within this; an unexpected one is never waited for
REPLY_TYPES = frozenset({"pong", "subscribed", "error"})
Frame = dict[str, Any]


def ws_url(base_url: str) -> str:
    """`DCE_WS_URL` (a deployed WebSocket stage), else the local gateway's `/ws/events` beside the REST API."""
    if os.environ.get("DCE_WS_URL"):
        return os.environ["DCE_WS_URL"]
    parts = urlsplit(base_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}/ws/events"


class EventStream:
    """One open connection; remembers every frame it has read, in order."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.frames: list[Frame] = []

    def send(self, message: Any) -> None:
        self.connection.send(message if isinstance(message, str) else json.dumps(message))

    def request(self, message: Any) -> Frame:
        """Send a message and return its reply (pushed events read meanwhile are kept)."""
        first = len(self.frames)
        self.send(message)
        return self.wait_for(lambda f: f.get("type") in REPLY_TYPES, since=first)

    def wait_for(self, predicate: Callable[[Frame], bool], timeout: float = WAIT_S, since: int = 0) -> Frame:
        """The first frame from position `since` on (already read or still to come) matching `predicate`."""
        for frame in self.frames[since:]:
            if predicate(frame):
                return frame
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                frame = json.loads(self.connection.recv(timeout=max(left, 0.001)))
            except TimeoutError:
                raise AssertionError(f"no matching frame within {timeout} s; read so far: {self.types()}") from None
            self.frames.append(frame)
            if predicate(frame):
                return frame

    def events(self) -> list[Frame]:
        """The pushed events read so far (not the replies)."""
        return [f for f in self.frames if "id" in f]

    def types(self) -> list[str]:
        return [str(f.get("type")) for f in self.frames]

    def events_before(self, frame: Frame) -> list[Frame]:
        events = self.events()
        return events[: events.index(frame)]


@contextmanager
def event_stream(base_url: str, user: User | None = None, token: str | None = None) -> Iterator[EventStream]:
    url = ws_url(base_url) + f"?token={token if token is not None else (user.access_token if user else '')}"
    with connect(url, open_timeout=WAIT_S, close_timeout=2) as connection:
        yield EventStream(connection)


def about(kind: str, key: str, value: str) -> Callable[[Frame], bool]:
    """A predicate: an event of type `kind` whose data names `value` (`data[key].id` or `data[key]`)."""

    def matches(frame: Frame) -> bool:
        if frame.get("type") != kind:
            return False
        found = frame.get("data", {}).get(key)
        return (found.get("id") if isinstance(found, dict) else found) == value

    return matches


def mentions(frame: Frame, *ids: str) -> bool:
    """Whether an event refers to any of these ids anywhere in its data."""
    text = json.dumps(frame.get("data", {}))
    return any(i in text for i in ids)
