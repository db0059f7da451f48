"""Use cases of the WebSocket API: open a connection (token checked), subscribe to topics, close it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from dce.domain.connections import Connection
from dce.domain.errors import Unauthorized
from dce.domain.principal import Principal
from dce.ports import Clock


class ConnectionRepo(Protocol):
    def put(self, connection: Connection) -> None: ...
    def get(self, connection_id: str) -> Connection | None: ...
    def delete(self, connection_id: str) -> None: ...

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
        Unauthorized otherwise."""
        if not token:
            raise Unauthorized()
        principal, token_expires_at = self._verify(token)
        connection = Connection.opened(
            connection_id, principal.account_id, principal.role, self._clock.now(), token_expires_at
        )
        self._repo.put(connection)
        return connection

    def subscribe(self, connection_id: str, topics: tuple[str, ...]) -> tuple[str, ...]:
        """Narrow delivery to event types starting with one of `topics` (validated by the caller)."""
        unique = tuple(dict.fromkeys(topics))
        if not self._repo.set_topics(connection_id, unique):
            raise Unauthorized("Connection not registered: reconnect")
        return unique

    def close(self, connection_id: str) -> None:
        self._repo.delete(connection_id)
