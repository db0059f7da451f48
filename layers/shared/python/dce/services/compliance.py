"""Use cases for compliance: the pre-call check (DNC, TCPA hours, geography, velocity) and the admin's
DNC list, calling hours and geographic restrictions.

The check fails closed: when the facts cannot be read, or read facts cannot be applied, the call is
refused (ComplianceUnavailable), never let through. Nothing is cached between requests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfoNotFoundError

from dce.domain.calls import Direction
from dce.domain.compliance import (
    DEFAULT_HOURS,
    MAX_REPORTED_INVALID,
    CallingHours,
    ComplianceFacts,
    DncEntry,
    DncList,
    GeoRestriction,
    InvalidLine,
    Lookup,
    Region,
    decide,
    dnc_entries,
    lookup_for,
    new_restriction,
    parse_number_list,
    velocity_window,
)
from dce.domain.errors import ComplianceUnavailable, FraudSuspected
from dce.domain.phone import PhoneNumber
from dce.ports import Clock

PHONE_FIELD = "phone number"


class ComplianceRepo(Protocol):
    def facts(self, lookup: Lookup) -> ComplianceFacts:
        """What the pre-call check needs, in one read; ComplianceUnavailable when it cannot be read."""

    def count_call(self, key: str, limit: int, expires_at_epoch: int) -> bool:
        """Count a call in its window atomically; False when the window already holds `limit`."""

    def put_dnc(self, entry: DncEntry) -> DncEntry | None:
        """Store a listing, returning the one it replaced."""

    def get_dnc(self, phone_number: str) -> DncEntry | None: ...
    def delete_dnc(self, phone_number: str) -> None: ...
    def put_dnc_many(self, entries: Iterable[DncEntry]) -> None: ...
    def get_hours(self) -> CallingHours | None: ...
    def put_hours(self, hours: CallingHours) -> None: ...
    def put_restriction(self, rule: GeoRestriction) -> None: ...
    def restrictions(self) -> list[GeoRestriction]: ...
    def delete_restriction(self, region: Region) -> None: ...


@dataclass(frozen=True, slots=True)
class DncStatus:
    phone_number: str
    entry: DncEntry | None  # the active listing, if any


@dataclass(frozen=True, slots=True)
class ImportResult:
    imported: int
    invalid: tuple[InvalidLine, ...]  # the first MAX_REPORTED_INVALID
    invalid_count: int


class ComplianceService:
    def __init__(self, repo: ComplianceRepo, clock: Clock, calls_per_hour: int) -> None:
        self._repo, self._clock, self._calls_per_hour = repo, clock, calls_per_hour

    def screen(self, account_id: str, direction: Direction, from_number: PhoneNumber, to_number: PhoneNumber) -> None:
        """The pre-call check, before anything about the call is written: one batched read, then
        (only for a compliant call) one atomic counter update. Raises the refusal."""
        now = self._clock.now()
        facts = self._repo.facts(lookup_for(direction, from_number, to_number))
        try:
            refusal = decide(direction, from_number, to_number, facts, now)
        except (ZoneInfoNotFoundError, ValueError) as error:  # e.g. a stored zone this runtime lacks
            raise ComplianceUnavailable() from error
        if refusal is not None:
            raise refusal
        key, expires = velocity_window(account_id, now)
        if not self._repo.count_call(key, self._calls_per_hour, expires):
            raise FraudSuspected("Too many calls: the hourly call limit is reached")

    # --- DNC -------------------------------------------------------------------------------------

    def add_dnc(
        self, raw_phone: str, reason: str, dnc_list: DncList, expires_at: datetime | None
    ) -> tuple[DncEntry, bool]:
        """List a number (replacing its listing: the latest statement wins). True when it was not
        listed before, False when it already was (the API answers 200 instead of 201)."""
        number = PhoneNumber.parse(raw_phone, PHONE_FIELD)
        now = self._clock.now()
        [entry] = dnc_entries([number.e164], reason, dnc_list, expires_at, now)
        previous = self._repo.put_dnc(entry)
        return entry, previous is None or not previous.active_at(now)

    def dnc_status(self, raw_phone: str) -> DncStatus:
        number = PhoneNumber.parse(raw_phone, PHONE_FIELD)
        entry = self._repo.get_dnc(number.e164)
        active = entry if entry is not None and entry.active_at(self._clock.now()) else None
        return DncStatus(number.e164, active)

    def remove_dnc(self, raw_phone: str) -> None:
        self._repo.delete_dnc(PhoneNumber.parse(raw_phone, PHONE_FIELD).e164)

    def import_dnc(self, text: str, reason: str, dnc_list: DncList, expires_at: datetime | None) -> ImportResult:
        """List every valid number of a newline/CSV list with batch writes; report the invalid lines."""
        now = self._clock.now()
        dnc_entries([], reason, dnc_list, expires_at, now)  # validate the shared fields first
        parsed = parse_number_list(text)
        self._repo.put_dnc_many(dnc_entries(parsed.numbers, reason, dnc_list, expires_at, now))
        return ImportResult(len(parsed.numbers), parsed.invalid[:MAX_REPORTED_INVALID], len(parsed.invalid))

    # --- TCPA hours ------------------------------------------------------------------------------

    def hours(self) -> CallingHours:
        return self._repo.get_hours() or DEFAULT_HOURS

    def set_hours(self, start: str, end: str, timezone: str) -> CallingHours:
        hours = CallingHours.of(start, end, timezone)
        self._repo.put_hours(hours)
        return hours

    # --- geographic restrictions -----------------------------------------------------------------

    def restrict(self, region: Region, restricted: bool, reason: str) -> GeoRestriction:
        rule = new_restriction(region, restricted, reason, self._clock.now())
        self._repo.put_restriction(rule)
        return rule

    def restrictions(self) -> list[GeoRestriction]:
        """All of them, newest first."""
        rules = sorted(self._repo.restrictions(), key=lambda r: r.region.key)
        return sorted(rules, key=lambda r: r.created_at, reverse=True)

    def lift(self, raw_region: str) -> None:
        self._repo.delete_restriction(Region.parse(raw_region))
