"""The exchange under load: its benchmark settings, and the marketplace set-up done over HTTP.

The settings are the test suite's (`tests/conftest.py` TEST_ENV) where they lift limits that would
otherwise refuse a load test: per-caller rate limits (100/s), calls per hour (100) and bids per hour
(200) per account, log-in brute-force counters; cheap argon2 for the sign-ups; the compliance clock
pinned inside TCPA hours (`DCE_FIXED_NOW`, honoured because `DCE_ENV=local`). Everything else is what
`make dev` runs: embedded moto, stream poller, `DCE_WORKERS` worker processes.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx

API = "/api/v1"
PASSWORD = "benchmark-password-123"  # noqa: S105 (throwaway accounts on a local server)
INBOUND_CALL = {"from_number": "+14155551234", "to_number": "+18005551234", "direction": "inbound"}
AUCTION_SECONDS = 3600  # the longest allowed: no timer fires and no late-bid extension during a run
SETUP_CONCURRENCY = 8
SETUP_ATTEMPTS = 3
UNLIMITED = "100000000"
# The tests' values, not UNLIMITED: the token bucket stores times to the microsecond, so past 10^6/s its
# interval rounds to 0 and moto (which leaves unchanged attributes out of UPDATED_NEW) breaks the adapter.
RATE_UNLIMITED = "100000"

EXCHANGE_SETTINGS = {
    "DCE_ENV": "local",
    "DCE_TABLE_PREFIX": "dce-bench",
    "DCE_WORKERS": "4",
    "DCE_FIXED_NOW": "2025-06-18T19:00:00Z",  # a Wednesday 15:00 in New York: inside TCPA hours
    "DCE_CALLS_PER_HOUR": UNLIMITED,
    "DCE_BIDS_PER_HOUR": UNLIMITED,
    "DCE_RATE_LIMIT_PER_SECOND": RATE_UNLIMITED,
    "DCE_RATE_LIMIT_BURST": RATE_UNLIMITED,
    "DCE_LOGIN_FAILURES_PER_EMAIL": UNLIMITED,
    "DCE_LOGIN_FAILURES_PER_IP": UNLIMITED,
    "DCE_LOGIN_ATTEMPTS_PER_EMAIL": UNLIMITED,
    "DCE_LOGIN_ATTEMPTS_PER_IP": UNLIMITED,
    "DCE_SIGNUPS_PER_IP": UNLIMITED,
    "DCE_PASSWORD_TIME_COST": "1",
    "DCE_PASSWORD_MEMORY_KIB": "1024",
    "POWERTOOLS_LOG_LEVEL": "WARNING",  # as in the tests: no log line per request on stdout
    "POWERTOOLS_METRICS_DISABLED": "true",  # no EMF line per request on stdout (as in the tests)
    "POWERTOOLS_METRICS_NAMESPACE": "dce-local",
}


@dataclass(frozen=True)
class Party:
    id: str
    token: str


class Marketplace:
    """Set-up requests (closed loop, a few at a time): accounts, calls, auctions, bids, closing."""

    def __init__(self, base: str) -> None:
        self._http = httpx.AsyncClient(base_url=base + API, timeout=60)
        self._gate = asyncio.Semaphore(SETUP_CONCURRENCY)
        self.setup_failures: list[str] = []

    async def close(self) -> None:
        await self._http.aclose()

    async def _post(self, path: str, body: Any = None, token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self._gate:
            response = await self._http.post(path, json=body, headers=headers)
        if response.status_code >= 300:
            raise RuntimeError(f"set-up POST {path} answered {response.status_code}: {response.text}")
        return response.json() if response.content else None

    async def sign_up(self, role: str) -> Party:
        email = f"bench-{role}-{uuid.uuid4().hex[:12]}@example.com"
        body = {"email": email, "password": PASSWORD, "company_name": "Bench", "type": role}
        account = await self._post("/accounts", body)
        tokens = await self._post("/auth/login", {"email": email, "password": PASSWORD})
        return Party(account["id"], tokens["access_token"])

    async def parties(self, role: str, count: int) -> list[Party]:
        return await gather(self.sign_up(role) for _ in range(count))

    async def call(self, buyer: Party) -> str:
        return str((await self._post("/calls", INBOUND_CALL, buyer.token))["id"])

    async def auction(self, buyer: Party, call_id: str) -> str:
        body = {"call_id": call_id, "reserve_price": 1.00, "duration": AUCTION_SECONDS}
        return str((await self._post("/auctions", body, buyer.token))["id"])

    async def bid(self, seller: Party, auction_id: str, amount: float) -> None:
        await self._post("/bids", {"auction_id": auction_id, "amount": amount}, seller.token)

    async def open_auctions(self, buyers: list[Party], count: int) -> list[str]:
        """`count` open auctions, each for a new call of one of `buyers`."""

        async def one(index: int) -> str:
            buyer = buyers[index % len(buyers)]
            return await self.auction(buyer, await self.call(buyer))

        return await gather(self._retried(one, i) for i in range(count))

    async def routable_calls(self, buyers: list[Party], seller: Party, count: int) -> list[tuple[Party, str]]:
        """`count` pending calls whose auction has a bid and is closed: ready for POST /calls/{id}/route."""

        async def one(index: int) -> tuple[Party, str]:
            buyer = buyers[index % len(buyers)]
            call_id = await self.call(buyer)
            auction_id = await self.auction(buyer, call_id)
            await self.bid(seller, auction_id, 2.00)
            await self._post(f"/auctions/{auction_id}/complete", None, buyer.token)
            return buyer, call_id

        return await gather(self._retried(one, i) for i in range(count))

    async def _retried[T](self, build: Callable[[int], Awaitable[T]], index: int) -> T:
        """Set-up is not what is measured: a failed unit (seen: 409 AUCTION_EXISTS when the emulator was
        slow and botocore retried a transaction that had committed) is rebuilt from a new call."""
        for _ in range(SETUP_ATTEMPTS - 1):
            try:
                return await build(index)
            except RuntimeError as error:
                self.setup_failures.append(str(error)[:200])
        return await build(index)


async def gather[T](coroutines: Iterable[Awaitable[T]]) -> list[T]:
    return list(await asyncio.gather(*coroutines))
