"""`library_number`: phonenumbers' form of our E.164 numbers, built without a second parse, must be exactly
what `phonenumbers.parse` gives — for every region's example numbers of every type (Italian leading
zeros included), since the TCPA check looks up the called party's time zone with it."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType

from dce.domain.compliance import library_number, local_zone
from dce.domain.phone import PhoneNumber

TYPES = (
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.MOBILE,
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.VOIP,
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.UAN,
)


def example_numbers() -> list[str]:
    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None and phonenumbers.is_valid_number(example):
                found.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    return found


def test_every_example_number_is_what_parsing_gives():
    numbers = example_numbers()
    assert len(numbers) > 1000
    differ = [e164 for e164 in numbers if library_number(PhoneNumber.parse(e164)) != phonenumbers.parse(e164, None)]
    assert differ == []


def test_italian_leading_zeros_are_kept():
    rome = PhoneNumber.parse("+390612345678")
    assert library_number(rome).italian_leading_zero is True
    assert phonenumbers.format_number(library_number(rome), phonenumbers.PhoneNumberFormat.E164) == rome.e164


def test_the_zone_comes_from_the_number_or_the_fallback():
    assert local_zone(PhoneNumber.parse("+14155550123"), "America/New_York").key == "America/Los_Angeles"
    assert local_zone(PhoneNumber.parse("+18005550123"), "America/Chicago").key == "America/Chicago"  # toll free
