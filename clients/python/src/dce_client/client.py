"""`Client` (sync) and `AsyncClient` (async): one object per identity, with resource groups.

    from dce_client import Client

    with Client("http://127.0.0.1:8080/api/v1", email="buyer@example.com", password="...") as client:
        call = client.calls.create("+14155551234", "+18005551234", direction="inbound")
        print(call.id, call.status, client.balance().available)

Authentication: `email`/`password` (logs in on first use, refreshes tokens itself, logs in again when
the refresh token is gone), `api_key` (X-API-Key), or `access_token`/`refresh_token` you already hold
(`on_tokens` is told of every new pair, e.g. to store it). Without any, only `health()`,
`accounts.sign_up()` and `login()` work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from types import TracebackType
from typing import Self

import httpx

from dce_client import _ops, events, resources, resources_async
from dce_client._async import AsyncTransport
from dce_client._sync import SyncTransport
from dce_client._transport import DEFAULT_BASE_URL, DEFAULT_TIMEOUT_S
from dce_client.auth import Session
from dce_client.models import Balance, Event, Health, Tokens
from dce_client.retry import RetryPolicy


def _session(
    api_key: str | None,
    email: str | None,
    password: str | None,
    access_token: str | None,
    refresh_token: str | None,
    on_tokens: Callable[[Tokens], None] | None,
) -> Session:
    session = Session(api_key=api_key, email=email, password=password, on_tokens=on_tokens)
    if access_token is not None:
        session.set_access_token(access_token, refresh_token)
    else:
        session.refresh_token = refresh_token
    return session


class _Base:
    def __init__(self, base_url: str, session: Session, ws_url: str | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.ws_url = ws_url or events.default_ws_url(self.base_url)


class Client(_Base):
    """The synchronous client. Thread-safe for concurrent requests (token renewal is serialised)."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        email: str | None = None,
        password: str | None = None,
        api_key: str | None = None,
        access_token: str | None = None,
        refresh_token: str | None = None,
        on_tokens: Callable[[Tokens], None] | None = None,
        ws_url: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        http: httpx.Client | None = None,
    ) -> None:
        session = _session(api_key, email, password, access_token, refresh_token, on_tokens)
        super().__init__(base_url, session, ws_url)
        self._transport = SyncTransport(self.base_url, session, retry or RetryPolicy(), timeout, http)
        t = self._transport
        self.accounts = resources.Accounts(t)
        self.account = resources.AccountSelf(t)
        self.api_keys = resources.ApiKeys(t)
        self.calls = resources.Calls(t)
        self.auctions = resources.Auctions(t)
        self.bids = resources.Bids(t)
        self.bid_profiles = resources.BidProfiles(t)
        self.compliance = resources.Compliance(t)
        self.admin = resources.Admin(t)

    def login(self, email: str | None = None, password: str | None = None) -> Tokens:
        """Log in now (`POST /auth/login`); later requests use and renew these tokens."""
        self.session.email = email or self.session.email
        self.session.password = password or self.session.password
        operation = self.session.log_in_operation()
        if operation is None:
            raise ValueError("login() needs an email and a password")
        tokens = self._transport.call(operation)
        self.session.api_key = None
        self.session.apply(tokens)
        return tokens

    def refresh(self) -> Tokens:
        """Trade the refresh token for a new pair now (normally automatic)."""
        self._transport.ensure_token(force=True, stale=self.session.access_token)
        assert self.session.tokens is not None
        return self.session.tokens

    def health(self) -> Health:
        return self._transport.call(_ops.get_health())

    def balance(self) -> Balance:
        return self.account.balance()

    def events(self, topics: Sequence[str] | None = None, *, reconnect: bool = True) -> Iterator[Event]:
        """Every event this account may see (or those whose type starts with one of `topics`), live."""
        return events.iterate(self._transport, self.ws_url, topics, reconnect)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class AsyncClient(_Base):
    """The asynchronous client (httpx.AsyncClient); the same resource groups, awaited."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        email: str | None = None,
        password: str | None = None,
        api_key: str | None = None,
        access_token: str | None = None,
        refresh_token: str | None = None,
        on_tokens: Callable[[Tokens], None] | None = None,
        ws_url: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        session = _session(api_key, email, password, access_token, refresh_token, on_tokens)
        super().__init__(base_url, session, ws_url)
        self._transport = AsyncTransport(self.base_url, session, retry or RetryPolicy(), timeout, http)
        t = self._transport
        self.accounts = resources_async.Accounts(t)
        self.account = resources_async.AccountSelf(t)
        self.api_keys = resources_async.ApiKeys(t)
        self.calls = resources_async.Calls(t)
        self.auctions = resources_async.Auctions(t)
        self.bids = resources_async.Bids(t)
        self.bid_profiles = resources_async.BidProfiles(t)
        self.compliance = resources_async.Compliance(t)
        self.admin = resources_async.Admin(t)

    async def login(self, email: str | None = None, password: str | None = None) -> Tokens:
        self.session.email = email or self.session.email
        self.session.password = password or self.session.password
        operation = self.session.log_in_operation()
        if operation is None:
            raise ValueError("login() needs an email and a password")
        tokens = await self._transport.call(operation)
        self.session.api_key = None
        self.session.apply(tokens)
        return tokens

    async def refresh(self) -> Tokens:
        await self._transport.ensure_token(force=True, stale=self.session.access_token)
        assert self.session.tokens is not None
        return self.session.tokens

    async def health(self) -> Health:
        return await self._transport.call(_ops.get_health())

    async def balance(self) -> Balance:
        return await self.account.balance()

    def events(self, topics: Sequence[str] | None = None, *, reconnect: bool = True) -> AsyncIterator[Event]:
        """`async for event in client.events(topics=["auction"])`: live, reconnecting on token expiry."""
        return events.aiterate(self._transport, self.ws_url, topics, reconnect)

    async def close(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
