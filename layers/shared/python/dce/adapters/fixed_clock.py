"""A fixed "now" for the compliance checks and rate-limit buckets, for local runs and tests only.

`DCE_FIXED_NOW` (RFC 3339) pins the time the pre-call check sees, so TCPA windows can be tested
over HTTP against a server in another process, and the time rate-limit buckets refill by (so they
never refill while it is pinned). It is honoured only when `DCE_ENV` is `local` or `test`; anywhere
else the real clock is used whatever the variable says.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dce.config import Settings
from dce.ports import Clock

TEST_ENVIRONMENTS = frozenset({"local", "test"})


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self._now = now if now.tzinfo else now.replace(tzinfo=UTC)

    def now(self) -> datetime:
        return self._now


def fixed_clock(config: Settings) -> Clock | None:
    """The pinned clock when the environment allows one and `DCE_FIXED_NOW` is set, else None."""
    if config.env not in TEST_ENVIRONMENTS or config.fixed_now is None:
        return None
    return FixedClock(config.fixed_now)
