"""Rate limiting per caller (contract: 429 RATE_LIMITED with Retry-After), one of the edge checks.

The caller is its account when the authorizer established one, else its client IP. Every API function
takes from the same DynamoDB token bucket (dce.adapters.rate_limits_repo), so the limit holds across
Lambda instances: `DCE_RATE_LIMIT_PER_SECOND` tokens a second, `DCE_RATE_LIMIT_BURST` at most.
Buckets refill by the real clock, or by the pinned one (`DCE_FIXED_NOW`, local and test only), under
which nothing refills: every request then arrives "at once", the worst case a burst can be.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from dce.adapters.fixed_clock import fixed_clock
from dce.adapters.rate_limits_repo import DynamoTokenBuckets
from dce.api.auth import principal_from_event
from dce.api.client_ip import client_ip
from dce.config import settings
from dce.domain.errors import RateLimited

logger = Logger(service="dce", child=True)


@lru_cache(maxsize=1)
def _buckets() -> DynamoTokenBuckets:
    config = settings()
    return DynamoTokenBuckets(config.rate_limit_per_second, config.rate_limit_burst)


@lru_cache(maxsize=1)
def _now() -> Callable[[], float]:
    """Seconds since the epoch by which buckets refill: the pinned clock when one is set, else the real one."""
    pinned = fixed_clock(settings())
    if pinned is None:
        return time.time
    return lambda: pinned.now().timestamp()


def caller_key(event: Mapping[str, Any]) -> str:
    """Whose bucket a request takes from: the account, or the client IP of an anonymous request."""
    principal = principal_from_event(event)
    if principal is not None:
        return f"account#{principal.account_id}"
    return f"ip#{client_ip(event) or 'unknown'}"


def take_token(event: Mapping[str, Any]) -> None:
    """Take one token from the caller's bucket; RateLimited (429) when it is empty."""
    try:
        wait = _buckets().take(caller_key(event), _now()())
    except (ClientError, BotoCoreError):
        # Fail open: a limiter outage must not take the API down with it (API Gateway still throttles).
        logger.warning("rate limit unavailable", exc_info=True)
        return
    if wait > 0:
        raise RateLimited(retry_after=math.ceil(wait))


def reset() -> None:
    _buckets.cache_clear()
    _now.cache_clear()
