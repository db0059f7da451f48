"""Powertools wiring: EMF metrics only when enabled, no per-read warning, no tracer cost outside Lambda."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from decimal import Decimal
from pathlib import Path

import pytest

from dce.adapters.metrics import PowertoolsMetrics, cents
from dce.observability import metrics

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_leftovers() -> None:
    metrics.clear_metrics()


def test_money_becomes_whole_cents_at_the_metrics_edge():
    assert [cents(Decimal(v)) for v in ("0.01", "88.00", "1234.50", "0")] == [1, 8800, 123450, 0]


def test_enabled_metrics_are_one_emf_document_with_only_the_service_dimension(monkeypatch, capsys):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    PowertoolsMetrics().call_billed(Decimal("88.00"))
    PowertoolsMetrics().call_created()
    metrics.flush_metrics()
    [line] = capsys.readouterr().out.splitlines()
    document = json.loads(line)
    [directive] = document["_aws"]["CloudWatchMetrics"]
    assert directive["Dimensions"] == [["service"]] and document["service"] == "dce"
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "CallsBilled": "Count",
        "RevenueCents": "Count",
        "CallsCreated": "Count",
    }
    assert [document[name] for name in ("CallsBilled", "RevenueCents", "CallsCreated")] == [[1], [8800], [1]]


def test_disabled_metrics_are_dropped_not_kept_until_they_overflow_to_stdout(monkeypatch, capsys):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    for _ in range(150):  # Powertools prints a metric's values once it holds 100 of them
        PowertoolsMetrics().bid_placed()
    metrics.flush_metrics()
    assert capsys.readouterr().out == ""
    assert metrics.metric_set == {}


@pytest.mark.parametrize(("disabled", "printed"), [("true", 0), ("false", 1)])
def test_the_cold_start_metric_follows_the_switch(monkeypatch, capsys, lambda_context, disabled: str, printed: int):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", disabled)

    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event: dict[str, object], context: object) -> None:
        return None

    monkeypatch.setattr("aws_lambda_powertools.metrics.provider.cold_start.is_cold_start", True)
    handler({}, lambda_context)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["ColdStart"] for line in lines] == [[1.0]] * printed


def test_an_invocation_without_business_metrics_warns_about_nothing(monkeypatch, capsys):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        metrics.flush_metrics()
    assert caught == [] and capsys.readouterr().out == ""


def test_outside_lambda_the_tracer_is_a_no_op_that_never_loads_the_xray_sdk():
    probe = (
        "import sys; from dce.observability import tracer; "
        "f = lambda event, context: 1; "
        "assert tracer.capture_lambda_handler(f) is f; "
        "assert tracer.capture_lambda_handler(capture_response=False)(f) is f; "
        "print(sorted(m for m in sys.modules if m.startswith('aws_xray_sdk')))"
    )
    env = {"PATH": "", "AWS_DEFAULT_REGION": "us-east-1"}  # no LAMBDA_TASK_ROOT: not on Lambda
    out = subprocess.run(  # noqa: S603 (our interpreter, our code)
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


def test_on_lambda_the_tracer_is_powertools_and_enabled():
    probe = (
        "from aws_lambda_powertools import Tracer; from dce.observability import tracer; "
        "assert isinstance(tracer, Tracer) and not tracer.disabled; print('traced')"
    )
    env = {"PATH": "", "AWS_DEFAULT_REGION": "us-east-1", "LAMBDA_TASK_ROOT": str(ROOT / "functions")}
    out = subprocess.run(  # noqa: S603 (our interpreter, our code)
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env, cwd=ROOT
    )
    assert out.stdout.strip() == "traced"
