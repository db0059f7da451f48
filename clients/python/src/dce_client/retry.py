"""When to send a request again, and how long to wait first.

- 429 RATE_LIMITED: always (the request was refused before it did anything), after `Retry-After`.
- 503 (COMPLIANCE_UNAVAILABLE, gateway at its connection bound): always; nothing was written.
- other 5xx and a broken connection: when the request is safe to repeat — GET/PUT/DELETE, or a POST,
  whose `Idempotency-Key` (the same on every attempt) makes the server replay the first answer.
- a connection that could not be opened: always (nothing was sent).
Waits grow exponentially with jitter (`backoff * 2**attempt`, capped), or follow `Retry-After`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from dce_client.errors import parse_retry_after

NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 4
    backoff: float = 0.25  # seconds before the first retry (then doubled), when the server gives no Retry-After
    max_backoff: float = 8.0
    max_retry_after: float = 60.0  # a longer Retry-After is not waited for: the error is raised
    jitter: bool = True
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)  # replaceable in tests
    async_sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)

    def delay(self, attempt: int, response: httpx.Response | None = None) -> float | None:
        """Seconds to wait before retry number `attempt + 1`, or None to give up."""
        if attempt >= self.max_retries:
            return None
        if response is not None:
            advised = parse_retry_after(response.headers.get("retry-after"))
            if advised is not None:
                return advised if advised <= self.max_retry_after else None
        wait = min(self.max_backoff, self.backoff * 2**attempt)
        return random.uniform(wait / 2, wait) if self.jitter else wait  # noqa: S311 (jitter, not crypto)

    def retries_response(self, response: httpx.Response, replay_safe: bool) -> bool:
        status = response.status_code
        return status in (429, 503) or (status >= 500 and replay_safe)

    def retries_error(self, error: httpx.TransportError, replay_safe: bool) -> bool:
        return isinstance(error, NEVER_SENT) or replay_safe


NO_RETRIES = RetryPolicy(max_retries=0)
