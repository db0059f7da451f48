"""Per-environment settings and the choice of layer build: plain Python, no synth."""

from __future__ import annotations

import dataclasses

import pytest
from aws_cdk import RemovalPolicy

from infra.layer import layer_mode
from infra.settings import ENV_NAMES, ENVIRONMENTS, UnknownEnvironmentError, settings_for

pytestmark = pytest.mark.infra


@pytest.mark.parametrize("env", ENV_NAMES)
def test_each_environment_has_settings(env: str) -> None:
    settings = settings_for(env)
    assert settings.env == env
    assert settings.table_prefix == f"dce-{env}"
    assert settings.authorizer_cache_ttl_seconds == 0


@pytest.mark.parametrize("env", [None, "", "production", "Dev", 1])
def test_unknown_environment_is_a_clear_error(env: object) -> None:
    with pytest.raises(UnknownEnvironmentError, match="dev, staging, prod"):
        settings_for(env)


def test_only_dev_data_is_disposable() -> None:
    assert ENVIRONMENTS["dev"].removal_policy == RemovalPolicy.DESTROY
    assert ENVIRONMENTS["staging"].removal_policy == RemovalPolicy.RETAIN
    assert ENVIRONMENTS["prod"].removal_policy == RemovalPolicy.RETAIN
    assert not ENVIRONMENTS["dev"].point_in_time_recovery
    assert ENVIRONMENTS["staging"].point_in_time_recovery
    assert ENVIRONMENTS["prod"].point_in_time_recovery


def test_prod_gives_no_signup_credit() -> None:
    assert ENVIRONMENTS["prod"].signup_credit == "0"
    assert ENVIRONMENTS["dev"].signup_credit == ENVIRONMENTS["staging"].signup_credit == "1000.00"


def test_authorizer_cache_cannot_be_enabled() -> None:
    with pytest.raises(ValueError, match="revocable"):
        dataclasses.replace(ENVIRONMENTS["dev"], authorizer_cache_ttl_seconds=300)


@pytest.mark.parametrize("credit", ["-1", "lots"])
def test_signup_credit_must_be_a_non_negative_decimal(credit: str) -> None:
    with pytest.raises(ValueError, match="signup_credit"):
        dataclasses.replace(ENVIRONMENTS["dev"], signup_credit=credit)


def test_bids_per_hour_must_be_positive() -> None:
    assert all(settings.bids_per_hour >= 1 for settings in ENVIRONMENTS.values())
    with pytest.raises(ValueError, match="bids_per_hour"):
        dataclasses.replace(ENVIRONMENTS["dev"], bids_per_hour=0)


def test_layer_mode_defaults_to_the_deployable_layer() -> None:
    assert layer_mode(None, {}) == "full"
    assert layer_mode(None, {"DCE_LAYER_SOURCE_ONLY": "1"}) == "source"
    assert layer_mode("source", {}) == "source"
    assert layer_mode("full", {"DCE_LAYER_SOURCE_ONLY": "1"}) == "full"  # the explicit context wins
    with pytest.raises(ValueError, match="layer=source"):
        layer_mode("docker", {})


def test_prod_alarms_are_at_least_as_strict_as_dev() -> None:
    dev, prod = ENVIRONMENTS["dev"].alarms, ENVIRONMENTS["prod"].alarms
    assert prod.api_5xx_percent <= dev.api_5xx_percent
    assert prod.api_p99_latency_ms <= dev.api_p99_latency_ms
    assert prod.lambda_errors <= dev.lambda_errors and prod.throttles <= dev.throttles
    assert prod.state_machine_failures == 0  # an auction that never closes is always worth a page


@pytest.mark.parametrize(("field", "value"), [("api_5xx_percent", 0), ("api_5xx_percent", 101), ("throttles", -1)])
def test_alarm_thresholds_are_checked(field: str, value: float) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(ENVIRONMENTS["dev"].alarms, **{field: value})


def test_metrics_namespace_is_the_environments_prefix() -> None:
    assert [settings.metrics_namespace for settings in ENVIRONMENTS.values()] == ["dce-dev", "dce-staging", "dce-prod"]
