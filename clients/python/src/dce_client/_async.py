"""The asynchronous transport (httpx.AsyncClient): retries, token renewal, pagination."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx

from dce_client._ops import Operation
from dce_client._transport import DEFAULT_TIMEOUT_S, USER_AGENT, TransportBase
from dce_client.auth import Session
from dce_client.errors import AuthenticationError
from dce_client.retry import RetryPolicy


class AsyncTransport(TransportBase):
    def __init__(
        self,
        base_url: str,
        session: Session,
        retry: RetryPolicy,
        timeout: float = DEFAULT_TIMEOUT_S,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(base_url, session, retry)
        self.http = http or httpx.AsyncClient(timeout=timeout, headers={"User-Agent": USER_AGENT})
        self._auth_lock = asyncio.Lock()  # one refresh at a time: a refresh token is single-use

    async def close(self) -> None:
        await self.http.aclose()

    async def call[T](self, operation: Operation[T]) -> T:
        return operation.parse(self.data(await self.send(operation)))

    async def fetch(self, path: str, params: Mapping[str, str | int]) -> tuple[httpx.Response, Any]:
        response = await self.send(Operation("GET", path, lambda data: data, params=params))
        return response, self.data(response)

    async def send(self, operation: Operation[Any]) -> httpx.Response:
        """Send with retries (the same Idempotency-Key each time); the last answer, whatever its status."""
        key = self.idempotency_key(operation)
        content = self.content(operation)
        attempt, renewed = 0, False
        while True:
            if operation.auth:
                await self.ensure_token()
            used_token = self.session.access_token
            request = self.http.build_request(
                operation.method,
                self.base_url + operation.path,
                params=dict(operation.params) or None,
                content=content,
                headers=self.headers(operation, key),
            )
            try:
                response = await self.http.send(request)
            except httpx.TransportError as error:
                wait = self.retry.delay(attempt) if self.retry.retries_error(error, operation.replay_safe) else None
                if wait is None:
                    raise self.connection_error(operation, error) from error
                await self.retry.async_sleep(wait)
                attempt += 1
                continue
            if self.wants_new_token(operation, response, renewed):
                await response.aclose()
                await self.ensure_token(force=True, stale=used_token)
                renewed = True
                continue
            if self.retry.retries_response(response, operation.replay_safe):
                wait = self.retry.delay(attempt, response)
                if wait is not None:
                    await response.aclose()
                    await self.retry.async_sleep(wait)
                    attempt += 1
                    continue
            return response

    async def ensure_token(self, force: bool = False, stale: str | None = None) -> None:
        """A valid access token before a request: refresh (or log in) when it is about to expire."""
        session = self.session
        if not force and not session.stale():
            return
        async with self._auth_lock:
            if force and session.access_token != stale:
                return  # another task renewed it meanwhile
            if not force and not session.stale():
                return
            refresh = session.refresh_operation()
            if refresh is not None:
                try:
                    session.apply(await self.call(refresh))
                    return
                except AuthenticationError:
                    session.refresh_token = None
                    if not session.can_log_in:
                        raise
            log_in = session.log_in_operation()
            if log_in is None:
                raise self.no_credentials()
            session.apply(await self.call(log_in))
