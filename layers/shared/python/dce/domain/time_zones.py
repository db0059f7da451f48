"""The IANA time zones this runtime knows (TCPA calling hours, sellers' hours of operation)."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones


@lru_cache(maxsize=1)
def iana_zones() -> frozenset[str]:
    return frozenset(available_timezones())
