"""Backoff for optimistic-concurrency retries: short, growing, jittered so contenders spread out."""

from __future__ import annotations

import random
import time

BASE_SECONDS = 0.005
CAP_SECONDS = 0.2


def backoff(attempt: int) -> None:
    """Sleep before retry number `attempt` (0-based): full jitter up to 5 ms * 2^attempt, capped."""
    time.sleep(random.uniform(0, min(CAP_SECONDS, BASE_SECONDS * 2**attempt)))  # noqa: S311 (not crypto)
