"""Compliance rules: DNC listings, TCPA calling hours, geographic restrictions, call velocity, and the
pre-call decision. Pure: the service reads the facts and passes them in with the current time."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezones

from dce.domain.accounts import check_plain_text
from dce.domain.area_codes import AREA_CODE_STATES
from dce.domain.calls import Direction
from dce.domain.errors import DncBlocked, DomainError, GeoRestricted, TcpaViolation, ValidationFailed
from dce.domain.phone import PhoneNumber
from dce.domain.time_zones import iana_zones

REASON_MAX = 200
US_STATES: frozenset[str] = frozenset(AREA_CODE_STATES.values())  # 50 states, DC and the territories
MAX_IMPORT_NUMBERS = 10_000
MAX_REPORTED_INVALID = 1_000  # an import answers with at most this many invalid lines (and their count)
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_UNKNOWN_ZONE = "Etc/Unknown"


class DncList(StrEnum):
    INTERNAL = "internal"
    FEDERAL = "federal"
    STATE = "state"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class DncEntry:
    """A number on a Do-Not-Call list, until `expires_at` (never when None)."""

    phone_number: str  # E.164
    reason: str
    list: DncList
    created_at: datetime
    expires_at: datetime | None = None

    def active_at(self, now: datetime) -> bool:
        # DynamoDB's TTL deletes expired items only eventually: expiry is decided here, not by the store.
        return self.expires_at is None or now < self.expires_at


def dnc_entries(
    numbers: Iterable[str], reason: str, dnc_list: DncList, expires_at: datetime | None, now: datetime
) -> list[DncEntry]:
    """Listings to store for E.164 numbers; the reason is plain text and an expiry lies in the future."""
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise ValidationFailed("Invalid expires_at: include a time zone (RFC 3339)")
        if expires_at <= now:
            raise ValidationFailed("Invalid expires_at: must be in the future")
        expires_at = expires_at.astimezone(UTC)
    text = check_plain_text(reason, "reason", REASON_MAX)
    return [DncEntry(number, text, dnc_list, now, expires_at) for number in numbers]


@dataclass(frozen=True, slots=True)
class CallingHours:
    """The TCPA window: calls may start from `start` (inclusive) until `end` (exclusive), in the called
    party's local time; `timezone` is used when the number does not tell one zone."""

    start: time
    end: time
    timezone: str

    @classmethod
    def of(cls, start: str, end: str, timezone: str) -> CallingHours:
        """Validate "HH:MM" times (start before end: a window never spans midnight) and an IANA zone."""
        start_time, end_time = _parse_hhmm(start, "start_time"), _parse_hhmm(end, "end_time")
        if start_time >= end_time:
            raise ValidationFailed("Invalid end_time: must be later than start_time")
        if timezone not in iana_zones():
            raise ValidationFailed("Invalid timezone: expected an IANA time zone such as America/New_York")
        return cls(start_time, end_time, timezone)

    def allows(self, local: time) -> bool:
        return self.start <= local.replace(tzinfo=None) < self.end

    def describe(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


DEFAULT_HOURS = CallingHours(time(8, 0), time(21, 0), "America/New_York")


def _parse_hhmm(raw: str, field: str) -> time:
    found = _HHMM.match(raw) if isinstance(raw, str) else None
    if found is None:
        raise ValidationFailed(f"Invalid {field}: expected HH:MM (00:00 to 23:59)")
    return time(int(found.group(1)), int(found.group(2)))


class RegionKind(StrEnum):
    STATE = "state"
    COUNTRY = "country"


@dataclass(frozen=True, slots=True)
class Region:
    """Where a geographic restriction applies: a US state ("CA") or a country calling code ("44")."""

    kind: RegionKind
    code: str

    @classmethod
    def state(cls, raw: str) -> Region:
        code = raw.strip().upper() if isinstance(raw, str) else ""
        if code not in US_STATES:
            raise ValidationFailed("Invalid state: expected a US state code such as CA")
        return cls(RegionKind.STATE, code)

    @classmethod
    def country(cls, calling_code: int) -> Region:
        if calling_code not in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            raise ValidationFailed("Invalid country_code: expected a country calling code such as 44")
        return cls(RegionKind.COUNTRY, str(calling_code))

    @classmethod
    def parse(cls, raw: str) -> Region:
        """A path segment: two letters are a state (either case), digits (optionally after "+", no leading zero) a
        calling code. Nothing else: no surrounding spaces (the OpenAPI document's pattern says the same)."""
        text = raw if isinstance(raw, str) else ""
        digits = text.removeprefix("+")
        if digits.isascii() and digits.isdigit() and len(digits) <= 3 and not digits.startswith("0"):
            if int(digits) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
                return cls(RegionKind.COUNTRY, str(int(digits)))
        elif len(text) == 2 and text.isascii() and text.isalpha() and text.upper() in US_STATES:
            return cls(RegionKind.STATE, text.upper())
        raise ValidationFailed("Invalid state: expected a US state code such as CA or a calling code such as 44")

    @property
    def key(self) -> str:
        return f"{self.kind}#{self.code}"


@dataclass(frozen=True, slots=True)
class GeoRestriction:
    region: Region
    restricted: bool
    reason: str
    created_at: datetime


def new_restriction(region: Region, restricted: bool, reason: str, now: datetime) -> GeoRestriction:
    return GeoRestriction(region, restricted, check_plain_text(reason, "reason", REASON_MAX), now)


def state_of(number: PhoneNumber) -> str | None:
    """The US state (or territory) of a NANP number's area code; None for other numbers."""
    return AREA_CODE_STATES.get(number.e164[2:5]) if number.country_code == 1 else None


def regions_of(number: PhoneNumber) -> tuple[Region, ...]:
    """The regions a number lies in, most specific first."""
    country = Region(RegionKind.COUNTRY, str(number.country_code))
    state = state_of(number)
    return (Region(RegionKind.STATE, state), country) if state else (country,)


def library_number(number: PhoneNumber) -> phonenumbers.PhoneNumber:
    """phonenumbers' form of a number already validated and normalised to E.164, built from its digits
    rather than parsed again: parsing costs ~24 µs, half of a whole pre-call decision. Leading zeros of
    the national number (Italy) are kept the way `phonenumbers.parse` keeps them."""
    national = number.e164[1 + len(str(number.country_code)) :]
    zeros = len(national) - len(national.lstrip("0"))
    return phonenumbers.PhoneNumber(
        country_code=number.country_code,
        national_number=int(national),
        italian_leading_zero=True if zeros else None,
        number_of_leading_zeros=zeros if zeros > 1 else None,
    )


def local_zone(number: PhoneNumber, fallback: str) -> ZoneInfo:
    """The called party's time zone from the number, or `fallback` when it spans several (or none)."""
    zones = phone_timezones.time_zones_for_number(library_number(number))
    if len(zones) == 1 and zones[0] != _UNKNOWN_ZONE:
        try:
            return ZoneInfo(zones[0])
        except (ZoneInfoNotFoundError, ValueError):
            pass  # a zone name this tz database lacks: use the configured zone, as for several zones
    return ZoneInfo(fallback)


@dataclass(frozen=True, slots=True)
class Lookup:
    """What the pre-call check must read for one call (one batched read)."""

    dnc_number: str | None
    calling_hours: bool
    regions: tuple[Region, ...]


@dataclass(frozen=True, slots=True)
class ComplianceFacts:
    """What was read for a call: its DNC entry, the TCPA window (None: the default), restrictions."""

    dnc: DncEntry | None = None
    hours: CallingHours | None = None
    restrictions: Mapping[Region, GeoRestriction] | None = None


def screened_number(direction: Direction, from_number: PhoneNumber, to_number: PhoneNumber) -> PhoneNumber:
    """Outbound calls are checked on the called number; inbound calls on the caller's number."""
    return to_number if direction is Direction.OUTBOUND else from_number


def lookup_for(direction: Direction, from_number: PhoneNumber, to_number: PhoneNumber) -> Lookup:
    outbound = direction is Direction.OUTBOUND
    number = screened_number(direction, from_number, to_number)
    return Lookup(number.e164 if outbound else None, outbound, regions_of(number))


def decide(
    direction: Direction, from_number: PhoneNumber, to_number: PhoneNumber, facts: ComplianceFacts, now: datetime
) -> DomainError | None:
    """None when the call may be placed, else the refusal: DNC, then TCPA hours, then geography.
    Outbound calls get all three on `to_number`; inbound calls only geography, on `from_number`."""
    number = screened_number(direction, from_number, to_number)
    if direction is Direction.OUTBOUND:
        if facts.dnc is not None and facts.dnc.phone_number == number.e164 and facts.dnc.active_at(now):
            return DncBlocked()
        hours = facts.hours or DEFAULT_HOURS
        local = now.astimezone(local_zone(number, hours.timezone))
        if not hours.allows(local.time()):
            return TcpaViolation(
                f"Call refused: outside TCPA calling hours ({hours.describe()} in the called party's local time)"
            )
    return geo_refusal(number, facts.restrictions or {})


def geo_refusal(number: PhoneNumber, restrictions: Mapping[Region, GeoRestriction]) -> GeoRestricted | None:
    """The most specific rule decides: a state's own entry (even `restricted: false`) overrides its
    country's, so "restrict +1 except NY" is expressible."""
    for region in regions_of(number):
        rule = restrictions.get(region)
        if rule is None:
            continue
        if not rule.restricted:
            return None
        where = region.code if region.kind is RegionKind.STATE else f"country code +{region.code}"
        return GeoRestricted(f"Call refused: geographic restriction on {where}")
    return None


def velocity_window(account_id: str, now: datetime) -> tuple[str, int]:
    """The counter key for the caller's calls in this clock hour (UTC) and when the counter may expire."""
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return f"calls#{account_id}#{hour:%Y%m%d%H}", int((hour + timedelta(hours=2)).timestamp())


@dataclass(frozen=True, slots=True)
class InvalidLine:
    line: int  # 1-based
    message: str


@dataclass(frozen=True, slots=True)
class NumberList:
    """A parsed bulk import: distinct valid numbers in order of appearance, and the invalid lines."""

    numbers: tuple[str, ...]
    invalid: tuple[InvalidLine, ...]


def parse_number_list(text: str) -> NumberList:
    """Numbers separated by newlines and/or commas (CSV; surrounding quotes and blanks ignored).
    More than MAX_IMPORT_NUMBERS entries is refused outright; an invalid entry is reported by line."""
    rows = [(index, [cell.strip().strip('"').strip() for cell in line.split(",")]) for index, line in _lines(text)]
    if sum(1 for _, cells in rows for cell in cells if cell) > MAX_IMPORT_NUMBERS:
        raise ValidationFailed(f"Invalid numbers: at most {MAX_IMPORT_NUMBERS} numbers a request")
    numbers: dict[str, None] = {}
    invalid: list[InvalidLine] = []
    for index, cells in rows:
        for cell in cells:
            if not cell:
                continue
            try:
                numbers.setdefault(PhoneNumber.parse(cell).e164)
            except ValidationFailed as error:
                invalid.append(InvalidLine(index, error.message))
    return NumberList(tuple(numbers), tuple(invalid))


def _lines(text: str) -> list[tuple[int, str]]:
    # Only \n, \r\n and \r end a line (str.splitlines would also split on form feeds and the like).
    return list(enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1))
