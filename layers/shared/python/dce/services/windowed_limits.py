"""Counted limits over fixed windows (log-in attempts, failed log-ins, sign-ups), shared by every instance.

A `WindowedLimit` names what it counts and how many of it a window allows per key (an email's hash, a client
IP). `reserve` takes one unit of each key's counter of the current window *before* the expensive work (the
password hash) runs, atomically and only while every counter is below its limit (`Counters.reserve`), so no
number of concurrent requests gets past a limit. A refusal is `RateLimited` with `Retry-After` = the seconds
until the window ends, with the same answer whoever the key belongs to (nothing about accounts leaks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dce.domain.errors import RateLimited
from dce.ports import Clock, Counters


@dataclass(frozen=True, slots=True)
class WindowedLimit:
    """At most `limits[kind]` units per key of that kind in each window of `window_seconds`."""

    name: str  # part of every counter key: "login", "login-failure", "signup"
    window_seconds: int
    limits: dict[str, int]  # kind ("email", "ip") -> units per key per window
    message: str  # what the 429 says


class WindowedLimits:
    def __init__(self, counters: Counters, clock: Clock) -> None:
        self._counters, self._clock = counters, clock

    def reserve(self, limit: WindowedLimit, keys: dict[str, str | None]) -> list[str]:
        """Take one unit for each `kind -> key` given (a None key is not counted); RateLimited (nothing taken)
        when one is used up. Returns the counter names taken, for `release`."""
        now = self._clock.now().timestamp()
        window = int(now // limit.window_seconds)
        counted = {
            f"{limit.name}#{kind}#{key}#{window}": limit.limits[kind]
            for kind, key in keys.items()
            if key and kind in limit.limits
        }
        if not counted:
            return []
        expires = (window + 2) * limit.window_seconds  # the counters table's TTL removes old windows
        if not self._counters.reserve(counted, expires):
            window_end = (window + 1) * limit.window_seconds
            raise RateLimited(max(1, math.ceil(window_end - now)), limit.message)
        return list(counted)

    def release(self, taken: list[str]) -> None:
        """Give back units taken by `reserve` (a log-in whose password was right is not a failure)."""
        if taken:
            self._counters.release(taken)
