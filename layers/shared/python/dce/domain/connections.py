"""WebSocket connections: who is listening, for how long, to which topics, and what they may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from dce.domain.accounts import Role
from dce.domain.events import wanted

# API Gateway closes a WebSocket connection after 2 hours at most; the record expires with it. A connection
# also ends when the access token it was opened with expires: the client reconnects with a fresh token, so
# an account whose tokens stop being renewed (log-out, refresh family revoked) stops hearing events.
CONNECTION_LIFETIME = timedelta(hours=2)
MAX_TOPICS = 20


@dataclass(frozen=True, slots=True)
class Connection:
    id: str
    account_id: str
    role: Role
    connected_at: datetime
    expires_at: datetime
    topics: tuple[str, ...] = ()  # empty: every event the account may see

    @classmethod
    def opened(
        cls, connection_id: str, account_id: str, role: Role, now: datetime, token_expires_at: datetime | None = None
    ) -> Connection:
        ends = now + CONNECTION_LIFETIME
        return cls(connection_id, account_id, role, now, min(ends, token_expires_at) if token_expires_at else ends)

    def is_live_at(self, now: datetime) -> bool:
        return now < self.expires_at  # TTL deletion is lazy: an expired record may still be read

    def may_see(self, accounts: frozenset[str]) -> bool:
        """A consumer sees only events addressed to its own account; admins see all."""
        return self.role is Role.ADMIN or self.account_id in accounts

    def is_addressed_by(self, event_type: str, accounts: frozenset[str]) -> bool:
        """The event is for this connection's account (or an admin) and one of its topics."""
        return self.may_see(accounts) and wanted(self.topics, event_type)

    def receives(self, event_type: str, accounts: frozenset[str], now: datetime) -> bool:
        return self.is_live_at(now) and self.is_addressed_by(event_type, accounts)
