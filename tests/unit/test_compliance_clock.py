"""The compliance clock: DCE_FIXED_NOW pins it only in local and test environments; the velocity
limit defaults to the contract's 100 calls an hour."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dce.adapters.fixed_clock import FixedClock, fixed_clock
from dce.config import Settings

PINNED = "2025-06-18T19:00:00Z"


@pytest.mark.parametrize("env", ["local", "test"])
def test_a_fixed_now_pins_the_compliance_clock_in_local_and_test(monkeypatch, env):
    monkeypatch.setenv("DCE_ENV", env)
    monkeypatch.setenv("DCE_FIXED_NOW", PINNED)
    clock = fixed_clock(Settings.from_env())
    assert clock is not None and clock.now() == datetime(2025, 6, 18, 19, 0, tzinfo=UTC)


@pytest.mark.parametrize("env", ["dev", "staging", "prod", "production", ""])
def test_a_fixed_now_is_ignored_in_any_other_environment(monkeypatch, env):
    monkeypatch.setenv("DCE_ENV", env)
    monkeypatch.setenv("DCE_FIXED_NOW", PINNED)
    assert fixed_clock(Settings.from_env()) is None


def test_without_a_fixed_now_the_real_clock_is_used(monkeypatch):
    monkeypatch.setenv("DCE_ENV", "test")
    monkeypatch.delenv("DCE_FIXED_NOW", raising=False)
    assert fixed_clock(Settings.from_env()) is None


def test_a_fixed_now_must_name_its_zone(monkeypatch):
    monkeypatch.setenv("DCE_FIXED_NOW", "2025-06-18T19:00:00")
    with pytest.raises(ValueError, match="fixed_now"):
        Settings.from_env()


def test_the_velocity_limit_defaults_to_100_calls_an_hour():
    assert Settings().calls_per_hour == 100
    assert Settings.model_validate({"calls_per_hour": "250"}).calls_per_hour == 250


def test_a_fixed_clock_always_answers_the_same_aware_time():
    clock = FixedClock(datetime(2025, 1, 1, 12, 0))  # a naive time is taken as UTC
    assert clock.now() == clock.now() == datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
