"""The checked-in area-code → state table: regenerated from phonenumbers and compared, so upgrading
phonenumbers without regenerating it fails here."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import phonenumbers
import pytest

from dce.domain.area_codes import AREA_CODE_STATES
from dce.domain.compliance import US_STATES

ROOT = Path(__file__).resolve().parents[2]
FIFTY_STATES_AND_DC = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA",
    "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK",
    "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC",
}  # fmt: skip


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_area_codes", ROOT / "scripts" / "generate_area_codes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_checked_in_table_is_what_the_generator_makes_from_the_installed_phonenumbers():
    script = generator()
    assert script.TARGET.read_text() == script.render(), "stale: run scripts/generate_area_codes.py"
    assert f"phonenumbers {phonenumbers.__version__}" in script.TARGET.read_text()


@pytest.mark.parametrize(
    ("area_code", "state"),
    [("415", "CA"), ("212", "NY"), ("202", "DC"), ("201", "NJ"), ("907", "AK"), ("808", "HI"), ("787", "PR"),
     ("340", "VI"), ("671", "GU"), ("684", "AS"), ("670", "MP"), ("206", "WA")],
)  # fmt: skip
def test_well_known_area_codes_map_to_their_state(area_code, state):
    assert AREA_CODE_STATES[area_code] == state


@pytest.mark.parametrize("area_code", ["800", "888", "900", "500", "416", "604", "876", "242"])
def test_non_geographic_canadian_and_caribbean_area_codes_have_no_us_state(area_code):
    assert area_code not in AREA_CODE_STATES


def test_every_state_and_dc_has_area_codes_and_nothing_else_is_a_state():
    assert FIFTY_STATES_AND_DC <= US_STATES
    territories = US_STATES - FIFTY_STATES_AND_DC
    assert territories == {"AS", "GU", "MP", "PR", "VI"}


def test_every_area_code_in_the_table_dials_a_valid_number_of_that_place():
    for area_code in sorted(AREA_CODE_STATES):
        region = phonenumbers.region_code_for_number(phonenumbers.parse(f"+1{area_code}2345678"))
        assert region in {"US", *US_STATES}, area_code
