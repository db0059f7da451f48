"""The compliance use cases over an in-memory repository: the pre-call check fails closed, counts only
compliant calls, and reads the settings on every request; the admin's DNC list, hours and rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from dce.domain.calls import Direction
from dce.domain.compliance import (
    MAX_REPORTED_INVALID,
    CallingHours,
    ComplianceFacts,
    DncEntry,
    DncList,
    GeoRestriction,
    Lookup,
    Region,
)
from dce.domain.errors import (
    ComplianceUnavailable,
    DncBlocked,
    FraudSuspected,
    GeoRestricted,
    TcpaViolation,
    ValidationFailed,
)
from dce.domain.phone import PhoneNumber
from dce.services.compliance import ComplianceService

NOW = datetime(2025, 6, 18, 19, 0, tzinfo=UTC)  # 12:00 in California
SF, NYC = PhoneNumber.parse("+14155551234"), PhoneNumber.parse("+12125551234")


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


class MemoryRepo:
    """The repository port in memory; `unavailable` makes every read fail like a store error."""

    def __init__(self) -> None:
        self.dnc: dict[str, DncEntry] = {}
        self.hours: CallingHours | None = None
        self.rules: dict[Region, GeoRestriction] = {}
        self.counters: dict[str, int] = {}
        self.reads = 0
        self.unavailable = False

    def facts(self, lookup: Lookup) -> ComplianceFacts:
        self.reads += 1
        if self.unavailable:
            raise ComplianceUnavailable()
        return ComplianceFacts(
            dnc=self.dnc.get(lookup.dnc_number or ""),
            hours=self.hours if lookup.calling_hours else None,
            restrictions={r: self.rules[r] for r in lookup.regions if r in self.rules},
        )

    def count_call(self, key: str, limit: int, expires_at_epoch: int) -> bool:
        if self.counters.get(key, 0) >= limit:
            return False
        self.counters[key] = self.counters.get(key, 0) + 1
        return True

    def put_dnc(self, entry: DncEntry) -> DncEntry | None:
        previous, self.dnc[entry.phone_number] = self.dnc.get(entry.phone_number), entry
        return previous

    def get_dnc(self, phone_number: str) -> DncEntry | None:
        return self.dnc.get(phone_number)

    def delete_dnc(self, phone_number: str) -> None:
        self.dnc.pop(phone_number, None)

    def put_dnc_many(self, entries: Iterable[DncEntry]) -> None:
        for entry in entries:
            self.dnc[entry.phone_number] = entry

    def get_hours(self) -> CallingHours | None:
        return self.hours

    def put_hours(self, hours: CallingHours) -> None:
        self.hours = hours

    def put_restriction(self, rule: GeoRestriction) -> None:
        self.rules[rule.region] = rule

    def restrictions(self) -> list[GeoRestriction]:
        return list(self.rules.values())

    def delete_restriction(self, region: Region) -> None:
        self.rules.pop(region, None)


@pytest.fixture
def repo() -> MemoryRepo:
    return MemoryRepo()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(repo: MemoryRepo, clock: Clock) -> ComplianceService:
    return ComplianceService(repo, clock, calls_per_hour=3)


def call(service: ComplianceService, to: PhoneNumber = SF, account: str = "buyer-1") -> None:
    service.screen(account, Direction.OUTBOUND, NYC, to)


# --- the pre-call check --------------------------------------------------------------------------


def test_a_compliant_call_passes(service):
    call(service)


def test_the_refusal_is_raised(service, repo):
    service.add_dnc(SF.e164, "asked", DncList.INTERNAL, None)
    with pytest.raises(DncBlocked):
        call(service)


def test_when_the_facts_cannot_be_read_the_call_is_refused(service, repo):
    repo.unavailable = True
    with pytest.raises(ComplianceUnavailable):
        call(service)
    assert repo.counters == {}


def test_a_stored_zone_this_runtime_cannot_load_fails_closed(service, repo):
    repo.hours = CallingHours(time(8), time(21), "Mars/Olympus_Mons")  # as if written by another version
    with pytest.raises(ComplianceUnavailable):
        call(service, PhoneNumber.parse("+18005551234"))  # several zones: the configured one is needed


def test_more_calls_than_the_hourly_limit_are_fraud_suspected(service, clock):
    for _ in range(3):
        call(service)
    with pytest.raises(FraudSuspected):
        call(service)
    call(service, account="buyer-2")  # per account
    clock.current = NOW + timedelta(hours=1)  # a new window
    call(service)


def test_refused_calls_do_not_count_towards_the_limit(service, repo):
    repo.put_restriction(GeoRestriction(Region.state("NY"), True, "no", NOW))
    for _ in range(5):
        with pytest.raises(GeoRestricted):
            call(service, NYC)
    assert repo.counters == {}


def test_every_check_reads_the_settings_again(service, repo):
    call(service)
    service.set_hours("13:00", "21:00", "America/New_York")  # it is 12:00 in California
    with pytest.raises(TcpaViolation):
        call(service)
    service.set_hours("08:00", "21:00", "America/New_York")
    call(service)
    assert repo.reads == 3


# --- DNC -----------------------------------------------------------------------------------------


def test_listing_a_number_reports_whether_it_was_new(service, clock):
    entry, created = service.add_dnc("+1 415 555 1234", "asked", DncList.FEDERAL, None)
    assert created and entry.phone_number == SF.e164 and entry.list is DncList.FEDERAL
    again, created = service.add_dnc(SF.e164, "asked again", DncList.STATE, NOW + timedelta(days=30))
    assert not created and again.reason == "asked again" and again.expires_at == NOW + timedelta(days=30)


def test_listing_again_after_expiry_is_new(service, clock):
    service.add_dnc(SF.e164, "asked", DncList.INTERNAL, NOW + timedelta(days=1))
    clock.current = NOW + timedelta(days=2)
    assert service.add_dnc(SF.e164, "asked", DncList.INTERNAL, None)[1]


def test_the_status_shows_only_an_active_listing(service, clock):
    assert service.dnc_status(SF.e164).entry is None
    service.add_dnc(SF.e164, "asked", DncList.CUSTOM, NOW + timedelta(hours=1))
    status = service.dnc_status(SF.e164)
    assert status.entry is not None and status.entry.reason == "asked" and status.entry.list is DncList.CUSTOM
    clock.current = NOW + timedelta(hours=1)
    assert service.dnc_status(SF.e164).entry is None


def test_removing_a_listing_lets_calls_through(service):
    service.add_dnc(SF.e164, "asked", DncList.INTERNAL, None)
    service.remove_dnc(SF.e164)
    service.remove_dnc(SF.e164)  # idempotent
    call(service)


@pytest.mark.parametrize("raw", ["4155551234", "+1415", "", "+999999999999"])
def test_an_invalid_number_is_a_validation_error(service, raw):
    for action in (service.dnc_status, service.remove_dnc):
        with pytest.raises(ValidationFailed, match="Invalid phone number"):
            action(raw)
    with pytest.raises(ValidationFailed, match="Invalid phone number"):
        service.add_dnc(raw, "x", DncList.INTERNAL, None)


def test_an_import_stores_the_valid_numbers_and_reports_the_rest(service, repo):
    result = service.import_dnc("+14155551234\nnope\n+12125551234,+14155551234", "bulk", DncList.FEDERAL, None)
    assert result.imported == 2 and result.invalid_count == 1 and result.invalid[0].line == 2
    assert set(repo.dnc) == {SF.e164, NYC.e164}
    assert {e.list for e in repo.dnc.values()} == {DncList.FEDERAL}


def test_an_import_reports_at_most_a_thousand_invalid_lines_and_counts_them_all(service):
    result = service.import_dnc("\n".join(["nope"] * 1500), "bulk", DncList.INTERNAL, None)
    assert result.invalid_count == 1500 and len(result.invalid) == MAX_REPORTED_INVALID
    assert result.imported == 0


def test_an_import_with_an_invalid_reason_or_expiry_stores_nothing(service, repo):
    with pytest.raises(ValidationFailed, match="reason"):
        service.import_dnc(SF.e164, "<b>bulk</b>", DncList.INTERNAL, None)
    with pytest.raises(ValidationFailed, match="expires_at"):
        service.import_dnc(SF.e164, "bulk", DncList.INTERNAL, NOW - timedelta(seconds=1))
    assert repo.dnc == {}


# --- hours and restrictions ----------------------------------------------------------------------


def test_the_hours_default_to_8_to_21_new_york_until_set(service):
    default = service.hours()
    assert (default.start, default.end, default.timezone) == (time(8), time(21), "America/New_York")
    service.set_hours("09:00", "20:00", "America/Chicago")
    assert service.hours() == CallingHours(time(9), time(20), "America/Chicago")


def test_restrictions_are_listed_newest_first_and_can_be_lifted(service, clock):
    service.restrict(Region.state("CA"), True, "first")
    clock.current = NOW + timedelta(minutes=1)
    service.restrict(Region.country(44), True, "second")
    assert [r.reason for r in service.restrictions()] == ["second", "first"]
    service.lift("44")
    service.lift("+44")  # idempotent
    assert [r.region for r in service.restrictions()] == [Region.state("CA")]


def test_restricting_again_replaces_the_rule(service):
    service.restrict(Region.state("CA"), True, "licence pending")
    service.restrict(Region.state("CA"), False, "licensed")
    [rule] = service.restrictions()
    assert rule == replace(rule, restricted=False, reason="licensed")
    call(service)
