"""The pure compliance rules: DNC, TCPA hours in the called party's local time (edges and DST),
geographic restrictions, what the check reads, velocity windows and bulk-list parsing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from dce.domain.calls import Direction
from dce.domain.compliance import (
    DEFAULT_HOURS,
    MAX_IMPORT_NUMBERS,
    CallingHours,
    ComplianceFacts,
    DncEntry,
    DncList,
    GeoRestriction,
    Lookup,
    Region,
    RegionKind,
    decide,
    dnc_entries,
    local_zone,
    lookup_for,
    parse_number_list,
    regions_of,
    state_of,
    velocity_window,
)
from dce.domain.errors import DncBlocked, GeoRestricted, TcpaViolation, ValidationFailed
from dce.domain.phone import PhoneNumber

SF = PhoneNumber.parse("+14155551234")  # San Francisco: America/Los_Angeles, CA
NYC = PhoneNumber.parse("+12125551234")  # America/New_York, NY
DENVER = PhoneNumber.parse("+13035551234")  # America/Denver, CO
PHOENIX = PhoneNumber.parse("+16025551234")  # America/Phoenix (no DST), AZ
TOLL_FREE = PhoneNumber.parse("+18005551234")  # every NANP zone, no state
ALASKA = PhoneNumber.parse("+19075551234")  # two zones (Adak, Anchorage)
LONDON = PhoneNumber.parse("+442079460958")
TORONTO = PhoneNumber.parse("+14165551234")
NOON_IN_CALIFORNIA = datetime(2025, 6, 18, 19, 0, tzinfo=UTC)  # 12:00 PDT, 15:00 EDT


def outbound(to: PhoneNumber, facts: ComplianceFacts, now: datetime = NOON_IN_CALIFORNIA) -> object:
    return decide(Direction.OUTBOUND, NYC, to, facts, now)


def listing(number: PhoneNumber, expires_at: datetime | None = None) -> DncEntry:
    return DncEntry(number.e164, "asked not to be called", DncList.FEDERAL, NOON_IN_CALIFORNIA, expires_at)


def restriction(region: Region, restricted: bool = True) -> dict[Region, GeoRestriction]:
    return {region: GeoRestriction(region, restricted, "not licensed", NOON_IN_CALIFORNIA)}


# --- DNC -----------------------------------------------------------------------------------------


def test_a_call_to_a_listed_number_is_refused_with_dnc_in_the_message():
    refusal = outbound(SF, ComplianceFacts(dnc=listing(SF)))
    assert isinstance(refusal, DncBlocked)
    assert "DNC" in refusal.message and SF.e164 not in refusal.message


def test_a_compliant_call_is_allowed():
    assert outbound(SF, ComplianceFacts()) is None


def test_a_listing_stops_blocking_when_it_expires():
    entry = listing(SF, expires_at=NOON_IN_CALIFORNIA + timedelta(minutes=1))
    assert isinstance(outbound(SF, ComplianceFacts(dnc=entry)), DncBlocked)
    assert outbound(SF, ComplianceFacts(dnc=entry), NOON_IN_CALIFORNIA + timedelta(minutes=1)) is None


def test_an_inbound_call_is_not_refused_for_its_numbers_dnc_listing():
    facts = ComplianceFacts(dnc=listing(SF))
    assert decide(Direction.INBOUND, NYC, SF, facts, NOON_IN_CALIFORNIA) is None


def test_a_listing_needs_a_future_zoned_expiry_and_a_plain_text_reason():
    with pytest.raises(ValidationFailed, match="expires_at"):
        dnc_entries([SF.e164], "x", DncList.INTERNAL, NOON_IN_CALIFORNIA, NOON_IN_CALIFORNIA)
    with pytest.raises(ValidationFailed, match="expires_at"):
        dnc_entries([SF.e164], "x", DncList.INTERNAL, datetime(2030, 1, 1), NOON_IN_CALIFORNIA)
    with pytest.raises(ValidationFailed, match="reason"):
        dnc_entries([SF.e164], "<script>alert(1)</script>", DncList.INTERNAL, None, NOON_IN_CALIFORNIA)
    [entry] = dnc_entries([SF.e164], " opted out ", DncList.STATE, None, NOON_IN_CALIFORNIA)
    assert entry.reason == "opted out" and entry.list is DncList.STATE and entry.expires_at is None


# --- TCPA hours ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local_time", "allowed"),
    [("07:59:59", False), ("08:00:00", True), ("12:00:00", True), ("20:59:59", True), ("21:00:00", False)],
)
def test_the_window_is_applied_in_the_called_partys_local_time_start_inclusive_end_exclusive(local_time, allowed):
    hour, minute, second = map(int, local_time.split(":"))
    now = datetime(2025, 6, 18, hour, minute, second, tzinfo=UTC) + timedelta(hours=7)  # PDT = UTC-7
    refusal = outbound(SF, ComplianceFacts(), now)
    assert (refusal is None) is allowed
    if not allowed:
        assert isinstance(refusal, TcpaViolation) and "08:00-21:00" in refusal.message


def test_the_same_instant_is_inside_the_window_in_california_and_outside_in_new_york():
    late = datetime(2025, 6, 19, 2, 0, tzinfo=UTC)  # 19:00 in San Francisco, 22:00 in New York
    assert outbound(SF, ComplianceFacts(), late) is None
    assert isinstance(outbound(NYC, ComplianceFacts(), late), TcpaViolation)


def test_daylight_saving_time_moves_the_window_in_utc():
    # 12:30 UTC is 07:30 EST on the Saturday before the spring change and 08:30 EDT on the Monday after.
    before, after = datetime(2025, 3, 8, 12, 30, tzinfo=UTC), datetime(2025, 3, 10, 12, 30, tzinfo=UTC)
    assert isinstance(outbound(NYC, ComplianceFacts(), before), TcpaViolation)
    assert outbound(NYC, ComplianceFacts(), after) is None
    # And back in autumn: 12:30 UTC is 08:30 EDT on Saturday 1 November, 07:30 EST on Monday 3 November.
    assert outbound(NYC, ComplianceFacts(), datetime(2025, 11, 1, 12, 30, tzinfo=UTC)) is None
    assert isinstance(outbound(NYC, ComplianceFacts(), datetime(2025, 11, 3, 12, 30, tzinfo=UTC)), TcpaViolation)


def test_a_zone_without_daylight_saving_time_keeps_its_offset_all_year():
    # 14:30 UTC: 07:30 in Phoenix in January and July; Denver moves from 07:30 MST to 08:30 MDT.
    winter, summer = datetime(2025, 1, 15, 14, 30, tzinfo=UTC), datetime(2025, 7, 15, 14, 30, tzinfo=UTC)
    assert isinstance(outbound(PHOENIX, ComplianceFacts(), winter), TcpaViolation)
    assert isinstance(outbound(PHOENIX, ComplianceFacts(), summer), TcpaViolation)
    assert isinstance(outbound(DENVER, ComplianceFacts(), winter), TcpaViolation)
    assert outbound(DENVER, ComplianceFacts(), summer) is None


@pytest.mark.parametrize("number", [TOLL_FREE, ALASKA], ids=["toll-free", "alaska"])
def test_a_number_spanning_several_zones_uses_the_configured_timezone(number):
    nine_in_new_york = datetime(2025, 6, 18, 13, 0, tzinfo=UTC)  # 06:00 in Los Angeles, 05:00 in Anchorage
    new_york = ComplianceFacts(hours=CallingHours(time(8), time(21), "America/New_York"))
    los_angeles = ComplianceFacts(hours=CallingHours(time(8), time(21), "America/Los_Angeles"))
    assert outbound(number, new_york, nine_in_new_york) is None
    assert isinstance(outbound(number, los_angeles, nine_in_new_york), TcpaViolation)


def test_the_zone_comes_from_the_number_when_it_has_exactly_one():
    assert str(local_zone(SF, "America/New_York")) == "America/Los_Angeles"
    assert str(local_zone(LONDON, "America/New_York")) == "Europe/London"
    assert str(local_zone(TOLL_FREE, "America/Chicago")) == "America/Chicago"


def test_configured_hours_replace_the_default_window():
    narrow = ComplianceFacts(hours=CallingHours(time(12, 1), time(21), "America/New_York"))
    assert isinstance(outbound(SF, narrow), TcpaViolation)  # 12:00 in California
    edge = ComplianceFacts(hours=CallingHours(time(12, 0), time(12, 1), "America/New_York"))
    assert outbound(SF, edge) is None


def test_an_inbound_call_is_not_subject_to_calling_hours():
    midnight_everywhere = datetime(2025, 6, 18, 7, 0, tzinfo=UTC)
    assert decide(Direction.INBOUND, SF, NYC, ComplianceFacts(), midnight_everywhere) is None


def test_the_default_window_is_8_to_21_new_york():
    assert (DEFAULT_HOURS.start, DEFAULT_HOURS.end, DEFAULT_HOURS.timezone) == (time(8), time(21), "America/New_York")


@pytest.mark.parametrize(
    ("start", "end", "zone", "field"),
    [
        ("8:00", "21:00", "America/New_York", "start_time"),
        ("08:00", "24:00", "America/New_York", "end_time"),
        ("08:60", "21:00", "America/New_York", "start_time"),
        ("21:00", "08:00", "America/New_York", "end_time"),
        ("09:00", "09:00", "America/New_York", "end_time"),
        ("08:00", "21:00", "Mars/Olympus_Mons", "timezone"),
        ("08:00", "21:00", "../../etc/passwd", "timezone"),
        ("08:00", "21:00", "america/new_york", "timezone"),
    ],
)
def test_calling_hours_are_validated(start, end, zone, field):
    with pytest.raises(ValidationFailed) as error:
        CallingHours.of(start, end, zone)
    assert error.value.message.startswith(f"Invalid {field}")
    assert zone not in error.value.message or zone == "America/New_York"


def test_valid_calling_hours_are_parsed():
    hours = CallingHours.of("09:30", "20:00", "America/Chicago")
    assert (hours.start, hours.end, hours.timezone) == (time(9, 30), time(20), "America/Chicago")


# --- geography -----------------------------------------------------------------------------------


def test_a_restricted_state_blocks_calls_to_its_area_codes_with_geographic_restriction_in_the_message():
    refusal = outbound(SF, ComplianceFacts(restrictions=restriction(Region.state("CA"))))
    assert isinstance(refusal, GeoRestricted)
    assert "geographic restriction" in refusal.message
    assert outbound(NYC, ComplianceFacts(restrictions=restriction(Region.state("CA")))) is None


def test_a_restricted_country_code_blocks_its_numbers():
    facts = ComplianceFacts(restrictions=restriction(Region.country(44)))
    assert isinstance(outbound(LONDON, facts), GeoRestricted)
    assert outbound(SF, facts) is None


def test_a_states_own_entry_overrides_its_country_code():
    rules = {**restriction(Region.country(1)), **restriction(Region.state("NY"), restricted=False)}
    facts = ComplianceFacts(restrictions=rules)
    assert outbound(NYC, facts) is None
    assert isinstance(outbound(SF, facts), GeoRestricted)
    assert isinstance(outbound(TOLL_FREE, facts), GeoRestricted)  # no state: the country code decides


def test_an_entry_that_does_not_restrict_lets_calls_through():
    assert outbound(SF, ComplianceFacts(restrictions=restriction(Region.state("CA"), restricted=False))) is None


def test_an_inbound_call_is_checked_on_its_from_number():
    facts = ComplianceFacts(restrictions=restriction(Region.state("CA")))
    assert isinstance(decide(Direction.INBOUND, SF, NYC, facts, NOON_IN_CALIFORNIA), GeoRestricted)
    assert decide(Direction.INBOUND, NYC, SF, facts, NOON_IN_CALIFORNIA) is None


def test_the_checks_run_in_the_contracts_order_dnc_then_tcpa_then_geography():
    everything = ComplianceFacts(
        dnc=listing(SF),
        hours=CallingHours(time(13), time(21), "America/New_York"),
        restrictions=restriction(Region.state("CA")),
    )
    assert isinstance(outbound(SF, everything), DncBlocked)
    assert isinstance(
        outbound(SF, ComplianceFacts(hours=everything.hours, restrictions=everything.restrictions)), TcpaViolation
    )


def test_numbers_map_to_their_state_and_country():
    assert state_of(SF) == "CA" and state_of(NYC) == "NY"
    assert state_of(TOLL_FREE) is None and state_of(TORONTO) is None and state_of(LONDON) is None
    assert regions_of(SF) == (Region(RegionKind.STATE, "CA"), Region(RegionKind.COUNTRY, "1"))
    assert regions_of(LONDON) == (Region(RegionKind.COUNTRY, "44"),)


@pytest.mark.parametrize(
    ("raw", "kind", "code"),
    [("CA", "state", "CA"), ("ca", "state", "CA"), ("DC", "state", "DC"), ("PR", "state", "PR"),
     ("44", "country", "44"), ("+44", "country", "44"), ("1", "country", "1")],
)  # fmt: skip
def test_a_region_is_a_state_code_or_a_calling_code(raw, kind, code):
    region = Region.parse(raw)
    assert (region.kind, region.code) == (kind, code)


@pytest.mark.parametrize(
    "raw", ["ZZ", "C1", "", "CAL", "0", "999", "1234", "+", "\uff14\uff14", "%2B44", " CA", "44 ", "044", "+01"]
)
def test_anything_else_is_not_a_region(raw):
    with pytest.raises(ValidationFailed) as error:
        Region.parse(raw)
    assert error.value.message.startswith("Invalid state")


# --- what the check reads -----------------------------------------------------------------------


def test_an_outbound_check_reads_the_called_numbers_listing_the_hours_and_its_regions():
    assert lookup_for(Direction.OUTBOUND, NYC, SF) == Lookup(SF.e164, True, regions_of(SF))


def test_an_inbound_check_reads_only_the_callers_regions():
    assert lookup_for(Direction.INBOUND, SF, NYC) == Lookup(None, False, regions_of(SF))


def test_the_velocity_window_is_the_clock_hour_in_utc():
    key, expires = velocity_window("acct", datetime(2025, 6, 18, 19, 59, 59, tzinfo=UTC))
    assert key == "calls#acct#2025061819"
    assert expires == int(datetime(2025, 6, 18, 21, 0, tzinfo=UTC).timestamp())
    assert velocity_window("acct", datetime(2025, 6, 18, 20, 0, tzinfo=UTC))[0] == "calls#acct#2025061820"


# --- bulk lists ----------------------------------------------------------------------------------


def test_a_list_may_separate_numbers_by_newlines_commas_or_both():
    text = '+14155551234\r\n+12125551234,+13035551234\n\n "+16025551234" ,\r+14155551234\n'
    parsed = parse_number_list(text)
    assert parsed.numbers == ("+14155551234", "+12125551234", "+13035551234", "+16025551234")
    assert parsed.invalid == ()


def test_invalid_entries_are_reported_by_line_without_echoing_them():
    parsed = parse_number_list("+14155551234\n<script>\n+1312\n+12125551234,3125550000")
    assert [i.line for i in parsed.invalid] == [2, 3, 4]
    assert all(i.message.startswith("Invalid phone number") for i in parsed.invalid)
    assert not any("script" in i.message or "312" in i.message for i in parsed.invalid)
    assert parsed.numbers == ("+14155551234", "+12125551234")


def test_a_list_of_exactly_the_maximum_is_accepted_and_one_more_is_refused():
    numbers = [f"+1415555{n:04d}" for n in range(MAX_IMPORT_NUMBERS)]
    assert len(parse_number_list("\n".join(numbers)).numbers) == MAX_IMPORT_NUMBERS
    with pytest.raises(ValidationFailed, match=f"at most {MAX_IMPORT_NUMBERS}"):
        parse_number_list("\n".join([*numbers, "+12125551234"]))
