"""Suspending and reactivating accounts, and the check every authenticated request makes of its account.

- `AccountStanding.check`: the authorizer (every REST request) and the WebSocket `$connect` read the account's
  status and session cut-off (one GetItem). A suspended account's credentials are refused; an access token
  issued before the last suspension is refused even after a reactivation.
- `SuspensionService.set_status`: an admin's suspension writes the status and `sessions_valid_after = now` in one
  write (every refresh-token family started before is revoked, without finding them: each refresh compares its
  family's start with it), then closes the account's open WebSockets. A reactivation writes the status only:
  API keys work again, sessions started before the suspension stay revoked.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from dce.domain.accounts import Account, AccountStatus, Standing, token_outlived
from dce.domain.errors import AccountNotFound, AccountSuspended, Unauthorized
from dce.domain.principal import Principal
from dce.ports import Clock
from dce.services.connections import ConnectionRepo

logger = logging.getLogger(__name__)


class StandingRepo(Protocol):
    def standing(self, account_id: str) -> Standing | None:
        """The account's status and session cut-off (strongly consistent), or None when it does not exist."""

    def set_status(
        self, account_id: str, status: AccountStatus, sessions_valid_after: datetime | None, now: datetime
    ) -> Account | None:
        """Write the status (and the cut-off when given) in one write; None when there is no such account."""


class ConnectionCloser(Protocol):
    def close_all(self, account_id: str) -> int:
        """Close every open WebSocket of the account and forget it; returns how many there were."""


class Disconnector(Protocol):
    def disconnect(self, connection_id: str) -> None:
        """Close the connection (its client sees the socket close); already gone is fine."""


class AccountStanding:
    """The per-request check of the caller's account (authorizer, WebSocket `$connect`)."""

    def __init__(self, repo: StandingRepo) -> None:
        self._repo = repo

    def check(self, principal: Principal, token_issued_at: datetime | None = None) -> AccountStatus:
        """The account's status for a valid credential: `suspended` is for the caller to refuse with
        ACCOUNT_SUSPENDED. Unauthorized when the account is gone, or for an access token (`token_issued_at`)
        that a suspension revoked."""
        standing = self._repo.standing(principal.account_id)
        if standing is None:
            raise Unauthorized("Invalid credentials")
        if standing.status is AccountStatus.SUSPENDED:
            return AccountStatus.SUSPENDED
        if token_issued_at is not None and token_outlived(token_issued_at, standing.sessions_valid_after):
            raise Unauthorized("Token revoked")
        return standing.status

    def require_active(self, principal: Principal, token_issued_at: datetime | None = None) -> Principal:
        """The principal of an active account; AccountSuspended (401) or Unauthorized otherwise."""
        if self.check(principal, token_issued_at) is AccountStatus.SUSPENDED:
            raise AccountSuspended()
        return principal


class AccountConnections:
    """An account's open WebSockets: found by account (index query), closed through `@connections`, forgotten."""

    def __init__(self, connections: ConnectionRepo, pusher: Disconnector) -> None:
        self._connections, self._pusher = connections, pusher

    def close_all(self, account_id: str) -> int:
        found = self._connections.for_accounts(frozenset({account_id}))
        for connection in found:
            self._pusher.disconnect(connection.id)
            self._connections.delete(connection.id)
        return len(found)


class SuspensionService:
    def __init__(self, repo: StandingRepo, connections: ConnectionCloser, clock: Clock) -> None:
        self._repo, self._connections, self._clock = repo, connections, clock

    def set_status(self, account_id: str, status: AccountStatus) -> Account:
        """Suspend or reactivate an account (AccountNotFound when there is none); returns it as stored.

        Suspending (again) revokes every session started until now and closes the account's WebSockets;
        from the next request on, its access tokens, refresh tokens and API keys get 401 ACCOUNT_SUSPENDED
        and its log-in 403. Reactivating restores its API keys (its old sessions stay revoked: log in)."""
        now = self._clock.now()
        suspending = status is AccountStatus.SUSPENDED
        account = self._repo.set_status(account_id, status, now if suspending else None, now)
        if account is None:
            raise AccountNotFound()
        if suspending:
            closed = self._connections.close_all(account_id)
            logger.info("account suspended; closed %d WebSocket connections", closed)
        return account
