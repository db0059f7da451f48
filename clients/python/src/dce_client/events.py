"""The live event stream over the WebSocket (`/ws/events?token=<access token>`).

    async for event in client.events(topics=["auction"]):     # AsyncClient
        print(event.type, event.data)
    for event in client.events(topics=["call"]):              # Client
        ...

The server closes a connection when its access token expires (at the next event for it); the
iterators then renew the token (refresh, or log in again) and reconnect, subscribing to the same
topics. Delivery is at least once: an event id already yielded is dropped. A handshake refused with
401 after a renewal raises `AuthenticationError`; API keys cannot open the stream (it needs a token).
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from websockets.asyncio.client import connect as aconnect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import connect

from dce_client import _json
from dce_client.errors import AuthenticationError, DceConnectionError, RateLimitedError, parse_retry_after
from dce_client.models import Event

if TYPE_CHECKING:
    from dce_client._async import AsyncTransport
    from dce_client._sync import SyncTransport

PING_EVERY_S = 300.0  # API Gateway drops a connection idle for 10 minutes: say something before that
OPEN_TIMEOUT_S = 10.0
MAX_RECONNECT_WAIT_S = 10.0
SEEN_IDS = 10_000


def default_ws_url(base_url: str) -> str:
    """`ws(s)://<host>/ws/events` beside the REST API (the local gateway's layout)."""
    parts = urlsplit(base_url)
    return f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}/ws/events"


class Seen:
    """The ids of the last events yielded (bounded), to drop redeliveries."""

    def __init__(self, size: int = SEEN_IDS) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def first_time(self, event_id: str) -> bool:
        if event_id in self._ids:
            return False
        self._ids[event_id] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True


def parse_frame(raw: str | bytes) -> Event | None:
    """An event, or None for a reply to our own messages (pong, subscribed, error)."""
    frame: Any = _json.loads(raw)
    if isinstance(frame, dict) and "id" in frame and "type" in frame:
        return Event.model_validate(frame)
    return None


def _subscribe(topics: Sequence[str] | None) -> str | None:
    return json.dumps({"action": "subscribe", "topics": list(topics)}) if topics else None


def _refused(error: InvalidStatus, renewed: bool) -> float:
    """How long to wait after a refused handshake, or raise when waiting cannot help."""
    response = error.response
    status = response.status_code
    if status == 401 and not renewed:
        return 0.0
    body = bytes(response.body or b"").decode(errors="replace")
    if status == 401:
        raise AuthenticationError(f"The event stream refused the token: {body}", status=401, code="UNAUTHORIZED")
    if status == 429:
        wait = parse_retry_after(response.headers.get("Retry-After"))
        if wait is None or wait > 60:
            raise RateLimitedError("Too many open event streams for this account", status=429, code="RATE_LIMITED")
        return wait
    raise DceConnectionError(f"The event stream refused the connection: HTTP {status} {body}", status=status)


def _backoff(failures: int) -> float:
    return float(min(MAX_RECONNECT_WAIT_S, 0.5 * 2 ** max(0, failures - 1))) if failures else 0.0


def _token(transport: SyncTransport | AsyncTransport) -> str:
    token = transport.session.access_token
    if transport.session.api_key is not None or token is None:
        raise AuthenticationError("The event stream needs an access token (log in with email and password)")
    return token


def iterate(
    transport: SyncTransport, url: str, topics: Sequence[str] | None, reconnect: bool = True
) -> Iterator[Event]:
    """The synchronous stream (websockets.sync)."""
    seen, failures, renewed = Seen(), 0, False
    while True:
        transport.ensure_token(force=renewed, stale=transport.session.access_token if renewed else None)
        try:
            with connect(f"{url}?token={quote(_token(transport))}", open_timeout=OPEN_TIMEOUT_S) as socket:
                renewed = False
                if (message := _subscribe(topics)) is not None:
                    socket.send(message)
                while True:
                    try:
                        raw = socket.recv(timeout=PING_EVERY_S)
                    except TimeoutError:
                        socket.send(json.dumps({"action": "ping"}))
                        continue
                    failures = 0  # the connection works: a later close reconnects at once
                    if (event := parse_frame(raw)) is not None and seen.first_time(event.id):
                        yield event
        except InvalidStatus as error:
            wait = _refused(error, renewed)
            renewed = error.response.status_code == 401
            transport.retry.sleep(wait)
            continue
        except (ConnectionClosed, InvalidHandshake, OSError):
            if not reconnect:
                return
        failures += 1
        transport.retry.sleep(_backoff(failures - 1))


async def aiterate(
    transport: AsyncTransport, url: str, topics: Sequence[str] | None, reconnect: bool = True
) -> AsyncIterator[Event]:
    """The asynchronous stream (websockets.asyncio)."""
    seen, failures, renewed = Seen(), 0, False
    while True:
        await transport.ensure_token(force=renewed, stale=transport.session.access_token if renewed else None)
        try:
            async with aconnect(f"{url}?token={quote(_token(transport))}", open_timeout=OPEN_TIMEOUT_S) as socket:
                renewed = False
                if (message := _subscribe(topics)) is not None:
                    await socket.send(message)
                while True:
                    try:
                        raw = await asyncio.wait_for(socket.recv(), PING_EVERY_S)
                    except TimeoutError:
                        await socket.send(json.dumps({"action": "ping"}))
                        continue
                    failures = 0  # the connection works: a later close reconnects at once
                    if (event := parse_frame(raw)) is not None and seen.first_time(event.id):
                        yield event
        except InvalidStatus as error:
            wait = _refused(error, renewed)
            renewed = error.response.status_code == 401
            await transport.retry.async_sleep(wait)
            continue
        except (ConnectionClosed, InvalidHandshake, OSError):
            if not reconnect:
                return
        failures += 1
        await transport.retry.async_sleep(_backoff(failures - 1))
