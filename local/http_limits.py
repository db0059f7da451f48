"""Fair use of the local gateway (contract: "Fair use"): a client cannot hold its connections hostage.

Without these, ~21,000 idle sockets exhausted the gateway's file descriptors: new clients waited, and
the accept loop's "Too many open files" filled the log. uvicorn closes an idle kept-alive connection
(`timeout_keep_alive`) but has no deadline for a request head or body, and its `limit_concurrency`
is only looked at once a request head has arrived. `GuardedH11Protocol` (uvicorn's h11 protocol, the
one it uses without httptools, with these additions) makes sure that:

- a request head not complete within `head_timeout` (DCE_HEAD_TIMEOUT_SECONDS, 10 s) of the connection
  being accepted, or of the previous response on it, and a body not complete within `body_timeout`
  (DCE_BODY_TIMEOUT_SECONDS, 10 s) of its head, get the connection closed: one byte now and then does
  not extend either (a slow-loris client). Time the application takes to read a body is not counted.
- at most `max_connections` (DCE_MAX_CONNECTIONS, 2048) connections, HTTP and WebSocket, are served:
  past it a request (or a WebSocket handshake) is answered 503 and the connection closed, and such
  a connection gets 1 s, not 10, to send its head. Signed `@connections` requests (the exchange's own
  pushes) are exempt from the 503 (the gateway checks their signature), so events still reach clients.
- past twice the bound, a new connection is closed as soon as it is accepted: the gateway's file
  descriptors stay bounded whatever clients do. asyncio accepts up to `backlog` connections at a time
  before any of them reaches the protocol, so the bound and the listen backlog are chosen so that twice
  the bound, three such bursts and FD_RESERVE fit in the open-files limit (which `raise_open_file_limit`
  raises to its hard limit at start).

A WebSocket upgrade hands the connection to uvicorn's WebSocket protocol: no deadline applies after it.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEAD_TIMEOUT_ENV = "DCE_HEAD_TIMEOUT_SECONDS"
BODY_TIMEOUT_ENV = "DCE_BODY_TIMEOUT_SECONDS"
MAX_CONNECTIONS_ENV = "DCE_MAX_CONNECTIONS"
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_CONNECTIONS = 2048  # the WebSocket benchmark holds 1,000 sockets open, with REST traffic beside
OVERFLOW_HEAD_TIMEOUT_S = 1.0  # a connection past the bound: enough to send the head its 503 answers
FD_RESERVE = 512  # descriptors kept for the rest of the process: moto's server side, boto3 pools, pipes, files
MIN_CONNECTIONS = 16
# uvicorn's default is 2048: asyncio accepts up to the backlog in one go, holding the event loop meanwhile. 512
# let a flood of idle sockets stall the loop for everyone (victim p99 x2.5 in `make bench-abuse`); 128 does not
# (x1.0): connections past it wait in the kernel, where they cost the server nothing.
MAX_BACKLOG = 128
CONNECTIONS_PATH = b"/@connections/"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HttpLimits:
    head_timeout: float = DEFAULT_TIMEOUT_S
    body_timeout: float = DEFAULT_TIMEOUT_S
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    backlog: int = MAX_BACKLOG  # the listen backlog, also how many connections asyncio accepts in one go

    @property
    def hard_cap(self) -> int:
        """Open connections past which a new one is closed at once, unread."""
        return 2 * self.max_connections

    @classmethod
    def from_environment(cls, environ: Mapping[str, str], open_files: int | None) -> HttpLimits:
        """The limits from DCE_HEAD_TIMEOUT_SECONDS, DCE_BODY_TIMEOUT_SECONDS and DCE_MAX_CONNECTIONS;
        the bound is lowered to what `open_files` descriptors allow. ValueError names a bad setting."""
        head = positive_setting(environ, HEAD_TIMEOUT_ENV, DEFAULT_TIMEOUT_S)
        body = positive_setting(environ, BODY_TIMEOUT_ENV, DEFAULT_TIMEOUT_S)
        requested = int(positive_setting(environ, MAX_CONNECTIONS_ENV, DEFAULT_MAX_CONNECTIONS))
        bound = connection_bound(requested, open_files)
        return cls(head, body, bound, accept_backlog(bound, open_files))

    def uvicorn_options(self) -> dict[str, Any]:
        """What `uvicorn.Config` needs for these limits."""
        # uvicorn answers 503 when connections (this one included) >= limit_concurrency: `max_connections`
        # may be open and served. It counts running request tasks against the same limit.
        return {
            "http": guarded_protocol(self),
            "limit_concurrency": self.max_connections + 1,
            "backlog": self.backlog,
        }


def connection_bound(requested: int, open_files: int | None) -> int:
    """`requested`, lowered so that the worst case fits in `open_files`: the hard cap (twice the bound)
    open, three accept bursts being closed (`accept_backlog`: room is left for at least a quarter of the
    bound each), and FD_RESERVE."""
    if open_files is None:
        return requested
    return max(MIN_CONNECTIONS, min(requested, (open_files - FD_RESERVE) * 4 // 11))


def accept_backlog(bound: int, open_files: int | None) -> int:
    """MAX_BACKLOG, or less if three bursts that size would not fit beside twice the bound and FD_RESERVE."""
    if open_files is None:
        return MAX_BACKLOG
    return max(MIN_CONNECTIONS, min(MAX_BACKLOG, (open_files - FD_RESERVE - 2 * bound) // 3))


def raise_open_file_limit() -> int | None:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit (macOS: as far as the kernel allows);
    returns the soft limit now in force (None where there is no such limit). Worker processes inherit it."""
    try:
        import resource
    except ImportError:  # not a POSIX system
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    candidates = [hard] if hard != resource.RLIM_INFINITY else [1 << 20, 1 << 16, 10240]
    for target in candidates:
        if target <= soft:
            break
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            break
        except (ValueError, OSError):  # macOS: above kern.maxfilesperproc
            continue
    return int(resource.getrlimit(resource.RLIMIT_NOFILE)[0])


def guarded_protocol(limits: HttpLimits) -> type[GuardedH11Protocol]:
    """A `GuardedH11Protocol` class with these limits, for `uvicorn.Config(http=...)`."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"limits": limits})


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with deadlines for the request head and body and a bound on connections."""

    limits: ClassVar[HttpLimits] = HttpLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: str | None = None  # "head" or "body": what the client owes us, under a deadline
        self._phase_seconds = 0.0
        self._heard = False  # any bytes during this phase
        self._over_bound = False
        self._upgraded = False
        self._served = False  # a response went out on this connection: a client that speaks HTTP

    # -- the bound -------------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        open_now = len(self.connections)  # this one included
        if open_now > self.limits.hard_cap:
            logger.warning("Closed a new connection at once: %d open, twice the bound", open_now)
            transport.abort()
            return
        self._over_bound = open_now > self.limits.max_connections
        self._track()

    def _should_upgrade(self) -> bool:
        # Called on each request head, just before uvicorn's own 503 check (limit_concurrency): a WebSocket
        # handshake past the bound is not upgraded, so that check answers it 503 too. A signed @connections
        # request is exempt from the check (the exchange's own pushes; the gateway verifies the signature).
        # So is a kept-alive connection that was already served: the bound sheds new connections (a flood of
        # idle sockets), not the clients already being served (a victim's keep-alive connection).
        exempt = self._served or self._is_signed_push()
        self.limit_concurrency = None if exempt else self.config.limit_concurrency
        if self._get_upgrade() == b"websocket" and len(self.connections) > self.limits.max_connections:
            return False
        return bool(super()._should_upgrade())

    def _is_signed_push(self) -> bool:
        if not self.scope["raw_path"].startswith(CONNECTIONS_PATH):
            return False
        return any(name == b"authorization" and value.startswith(b"AWS4-HMAC-SHA256 ") for name, value in self.headers)

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._upgraded = True  # uvicorn's WebSocket protocol has the connection from now on
        self._cancel()
        super().handle_websocket_upgrade(event)

    # -- the deadlines ---------------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        self._heard = self._heard or bool(data)
        super().data_received(data)
        self._track()

    def on_response_complete(self) -> None:
        self._served = True
        super().on_response_complete()  # may start the next request on the connection (pipelining)
        self._track()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)

    def _track(self) -> None:
        """Arm the deadline of what the client owes now (a head, a body), unless it is already running."""
        if self._upgraded or self.transport is None or self.transport.is_closing():
            self._cancel()
            return
        state = self.conn.their_state
        phase = "head" if state is h11.IDLE else "body" if state is h11.SEND_BODY else None
        if phase == self._phase:
            return
        self._cancel()
        self._phase, self._heard = phase, phase == "body"  # a body's deadline: the request has begun
        if phase is None:  # the request is complete: the application's time is not limited here
            return
        if phase == "head":
            seconds = OVERFLOW_HEAD_TIMEOUT_S if self._over_bound else self.limits.head_timeout
            seconds = min(seconds, self.limits.head_timeout)
        else:
            seconds = self.limits.body_timeout
        self._phase_seconds = seconds
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _expired(self) -> None:
        self._deadline = None
        if self._upgraded or self.transport.is_closing():
            return
        if self._phase == "body" and self.flow.read_paused:  # the application is not reading: not the client
            self._deadline = self.loop.call_later(self._phase_seconds, self._expired)
            return
        if self._heard:
            logger.warning(
                "Closed a connection: its request %s was not complete within %g s", self._phase, self._phase_seconds
            )
        else:  # e.g. a browser's speculative pre-connection: nothing to report
            logger.debug("Closed a connection that sent nothing within %g s", self._phase_seconds)
        self._phase = None
        self.transport.close()

    def _cancel(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None


def positive_setting(environ: Mapping[str, str], name: str, default: float) -> float:
    """The number setting `name` (`default` when unset); ValueError naming it when not a positive number."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value < math.inf:
        raise ValueError(f"{name} must be a positive number, not {raw!r}")
    return value
