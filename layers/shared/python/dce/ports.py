"""Ports: what the services need from the outside world. Adapters implement them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from dce.domain.accounts import Account, ApiKey, LedgerEntry
from dce.domain.calls import Call, CallStatus
from dce.domain.pages import Page


class Clock(Protocol):
    def now(self) -> datetime: ...


class IdGen(Protocol):
    def new_id(self) -> str: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...


class AccountRepo(Protocol):
    def create(self, account: Account, opening_credit: LedgerEntry | None) -> None:
        """Store a new account, its email claim and its opening credit atomically; EmailTaken if claimed."""

    def get(self, account_id: str) -> Account | None: ...
    def find_by_email(self, email: str) -> Account | None: ...
    def recent(self, limit: int, start: dict[str, Any] | None) -> Page[Account]: ...

    def post_entry(self, account: Account, entry: LedgerEntry) -> Account:
        """Apply one ledger entry to the account at `account.version`; Conflict if it changed."""

    def ledger(self, account_id: str, limit: int, start: dict[str, Any] | None) -> Page[LedgerEntry]: ...


class ApiKeyRepo(Protocol):
    def put(self, key: ApiKey) -> None: ...
    def get(self, key_id: str) -> ApiKey | None: ...
    def list_for(self, account_id: str) -> list[ApiKey]: ...
    def revoke(self, key_id: str, account_id: str) -> bool: ...


class SessionRepo(Protocol):
    """Refresh-token families: one record per login, holding the only currently valid token id."""

    def start(self, family_id: str, account_id: str, token_id: str, expires_at: datetime) -> None: ...

    def rotate(self, family_id: str, presented_id: str, new_id: str) -> bool:
        """Swap the current token id when `presented_id` is current and the family is live."""

    def revoke(self, family_id: str) -> None: ...


class CallRepo(Protocol):
    def put_new(self, call: Call) -> None: ...
    def get(self, call_id: str) -> Call | None: ...

    def list_for_buyer(self, buyer_id: str, limit: int, start: dict[str, Any] | None) -> Page[Call]: ...
    def list_for_seller(self, seller_id: str, limit: int, start: dict[str, Any] | None) -> Page[Call]: ...
    def list_all(self, limit: int, start: dict[str, Any] | None) -> Page[Call]: ...

    def save_transition(self, call: Call, expected: CallStatus) -> bool:
        """Write `call` only if its stored status is still `expected`; False when another write won."""
