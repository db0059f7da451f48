"""Exchange controls: what a seller can take (concurrent calls, calls a day, hours of operation) and how a buyer
treats repeat callers. Pure rules; the counters that enforce the caps are conditional writes (adapters).

Hours are a weekly schedule in the seller's IANA time zone: each interval runs from its start (included) to its
end (excluded), "24:00" ends a day, a day not listed has no hours. Whether the seller is open is decided on the
local wall clock of the moment asked, so a DST change moves nothing the seller wrote: 08:00 stays 08:00.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

from dce.domain.errors import ValidationFailed
from dce.domain.time_zones import iana_zones

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_INTERVALS_PER_DAY = 8
MAX_CONCURRENT_RANGE = (1, 10_000)
DAILY_CAP_RANGE = (1, 1_000_000)
DUPLICATE_WINDOW_RANGE = (0, 90)
SELLER_FIELDS = frozenset({"max_concurrent_calls", "daily_cap", "hours"})
BUYER_FIELDS = frozenset({"duplicate_window_days"})
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
Minutes = tuple[int, int]  # [start, end) in minutes after local midnight


def _minutes(text: str, day: str) -> int:
    if not isinstance(text, str) or not _CLOCK.match(text):
        raise ValidationFailed(f"Invalid hours: {day} times must be HH:MM (00:00 to 24:00)")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def check_timezone(name: object) -> str:
    """An IANA zone this runtime knows ("America/New_York"), else ValidationFailed."""
    if not isinstance(name, str) or name not in iana_zones():
        raise ValidationFailed("Invalid hours: timezone must be an IANA time zone such as America/New_York")
    return name


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """A seller's hours of operation: per weekday, sorted intervals that do not overlap."""

    timezone: str
    weekly: Mapping[str, tuple[Minutes, ...]] = field(default_factory=dict)

    @classmethod
    def parse(cls, timezone: object, weekly: object) -> WeeklyHours:
        """From the API's shape `{"mon": [["08:00", "20:00"]], ...}`; ValidationFailed names what is wrong."""
        zone = check_timezone(timezone)
        if not isinstance(weekly, Mapping):
            raise ValidationFailed("Invalid hours: weekly must map days (mon..sun) to lists of [start, end]")
        days: dict[str, tuple[Minutes, ...]] = {}
        for day, intervals in weekly.items():
            if day not in DAYS:
                raise ValidationFailed(f"Invalid hours: unknown day {str(day)[:10]!r}; days are {', '.join(DAYS)}")
            if not isinstance(intervals, list | tuple) or len(intervals) > MAX_INTERVALS_PER_DAY:
                most = MAX_INTERVALS_PER_DAY
                raise ValidationFailed(f"Invalid hours: {day} must be a list of at most {most} intervals")
            parsed: list[Minutes] = []
            for interval in intervals:
                if not isinstance(interval, list | tuple) or len(interval) != 2:
                    raise ValidationFailed(f"Invalid hours: each {day} interval is [start, end]")
                start, end = _minutes(interval[0], day), _minutes(interval[1], day)
                if start >= end:
                    raise ValidationFailed(f"Invalid hours: a {day} interval must end after it starts")
                parsed.append((start, end))
            parsed.sort()
            if any(later[0] < earlier[1] for earlier, later in pairwise(parsed)):
                raise ValidationFailed(f"Invalid hours: {day} intervals overlap")
            days[day] = tuple(parsed)
        return cls(zone, days)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.zone)

    def is_open(self, at: datetime) -> bool:
        """Whether `at` falls in an interval of its local weekday, start included and end excluded."""
        local = self.local(at)
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.weekly.get(DAYS[local.weekday()], ()))

    def as_dict(self) -> dict[str, object]:
        """The API's (and storage's) shape; days without hours are left out."""
        weekly = {day: [[_clock(s), _clock(e)] for s, e in self.weekly[day]] for day in DAYS if day in self.weekly}
        return {"timezone": self.timezone, "weekly": weekly}


@dataclass(frozen=True, slots=True)
class ExchangeControls:
    """An account's exchange settings (GET/PUT /account/settings). Sellers use the first three, buyers the last;
    None means unlimited (caps) or always open (hours)."""

    max_concurrent_calls: int | None = None
    daily_cap: int | None = None
    hours: WeeklyHours | None = None
    duplicate_window_days: int = 0

    def is_open(self, at: datetime) -> bool:
        return self.hours is None or self.hours.is_open(at)

    def capacity_day(self, at: datetime) -> str:
        """The day a route at `at` counts against `daily_cap`: the seller's local date in its hours' zone, or
        the UTC date when it has no hours."""
        local = self.hours.local(at) if self.hours is not None else at.astimezone(UTC)
        return local.date().isoformat()


def check_max_concurrent(value: int | None) -> int | None:
    low, high = MAX_CONCURRENT_RANGE
    if value is not None and not low <= value <= high:
        raise ValidationFailed(f"Invalid max_concurrent_calls: must be {low} to {high}, or null for unlimited")
    return value


def check_daily_cap(value: int | None) -> int | None:
    low, high = DAILY_CAP_RANGE
    if value is not None and not low <= value <= high:
        raise ValidationFailed(f"Invalid daily_cap: must be {low} to {high}, or null for unlimited")
    return value


def check_duplicate_window(value: int) -> int:
    low, high = DUPLICATE_WINDOW_RANGE
    if not low <= value <= high:
        raise ValidationFailed(f"Invalid duplicate_window_days: must be {low} to {high} (0 = off)")
    return value


@dataclass(frozen=True, slots=True)
class CapacityClaim:
    """A route takes one of the seller's concurrent calls and one of its calls of `day`, only while each count
    is below its cap (None: no cap, still counted). Written in the routing transaction."""

    seller_id: str
    day: str
    max_concurrent: int | None
    daily_cap: int | None


@dataclass(frozen=True, slots=True)
class BilledCaller:
    """A completed call billed its buyer for this caller reaching this seller: remembered so that, within the
    buyer's duplicate window, the next such call is free. With a window, the mark is written only if no billed
    call is remembered since `not_since` (two racing completions cannot both bill)."""

    buyer_id: str
    seller_id: str
    from_number: str
    at: datetime
    not_since: datetime | None = None


def can_take_call(controls: ExchangeControls, in_flight: int, routed_today: int, at: datetime) -> bool:
    """Whether a seller with these counts is inside its hours and under both caps at `at` (the automatic bids'
    check; routing enforces the caps with the counters' conditional writes)."""
    if not controls.is_open(at):
        return False
    if controls.max_concurrent_calls is not None and in_flight >= controls.max_concurrent_calls:
        return False
    return controls.daily_cap is None or routed_today < controls.daily_cap
