"""Use cases of the WebSocket API: open a connection (token checked, at most so many per account), subscribe
to topics, close it."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from dce.domain.connections import Connection
from dce.domain.errors import RateLimited, Unauthorized
from dce.domain.principal import Principal
from dce.ports import Clock

TOO_MANY_CONNECTIONS = "Too many open WebSocket connections for this account: close one first"


class ConnectionRepo(Protocol):
    def admit(self, connection: Connection) -> datetime | None:
        """Store the connection unless its account already has the maximum number of live connections
        (counted atomically with the admission); None when stored, else when the earliest of those ends."""

    def get(self, connection_id: str) -> Connection | None: ...

    def delete(self, connection_id: str) -> None:
        """Forget the connection, freeing its place in its account's count; gone already is fine."""

    def set_topics(self, connection_id: str, topics: tuple[str, ...]) -> bool:
        """Store the topics of an existing connection; False when it is not registered."""

    def for_accounts(self, account_ids: frozenset[str]) -> list[Connection]: ...
    def admins(self) -> list[Connection]: ...


VerifyToken = Callable[[str], tuple[Principal, datetime]]  # the caller and when its token expires


class ConnectionService:
    def __init__(self, repo: ConnectionRepo, verify: VerifyToken, clock: Clock) -> None:
        self._repo, self._verify, self._clock = repo, verify, clock

    def open(self, connection_id: str, token: str | None) -> Connection:
        """Register a connection for the account of a valid access token, until the token expires;
        Unauthorized otherwise, RateLimited (429) when the account already has its maximum of connections
        (Retry-After: until the earliest of them ends at the latest)."""
        if not token:
            raise Unauthorized()
        principal, token_expires_at = self._verify(token)
        now = self._clock.now()
        connection = Connection.opened(connection_id, principal.account_id, principal.role, now, token_expires_at)
        frees_at = self._repo.admit(connection)
        if frees_at is not None:
            raise RateLimited(math.ceil((frees_at - now).total_seconds()), TOO_MANY_CONNECTIONS)
        return connection

    def subscribe(self, connection_id: str, topics: tuple[str, ...]) -> tuple[str, ...]:
        """Narrow delivery to event types starting with one of `topics` (validated by the caller)."""
        unique = tuple(dict.fromkeys(topics))
        if not self._repo.set_topics(connection_id, unique):
            raise Unauthorized("Connection not registered: reconnect")
        return unique

    def close(self, connection_id: str) -> None:
        self._repo.delete(connection_id)
