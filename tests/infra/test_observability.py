"""Alarms (thresholds from settings), their encrypted topic, and the dashboard with the business metrics."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dce.adapters.queues import QUEUES
from dce.adapters.tables import TABLES
from dce.api.routes import AREAS
from infra.constructs.observability import BUSINESS_METRICS
from infra.settings import settings_for
from tests.infra.cfn import Synthesized, referenced_ids

pytestmark = pytest.mark.infra


def _alarms(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    alarms = [a["Properties"] for a in synthesized.of_type("AWS::CloudWatch::Alarm").values()]
    return {a["AlarmName"]: a for a in alarms}


def test_one_alarm_per_concern_named_after_the_environment(each_env: Synthesized) -> None:
    prefix = f"dce-{each_env.env}"
    expected = {
        f"{prefix}-{name}"
        for name in (
            "api-5xx-rate",
            "api-latency-p99",
            "api-throttled",
            "auction-timer-failures",
            "events-stream-lag",
            "events-failed-batches",
        )
    }
    expected |= {f"{prefix}-lambda-{area.name}-{kind}" for area in AREAS for kind in ("errors", "throttles")}
    # Every other stream consumer (the automatic bids) has its own lag and failed-batches alarms.
    consumers = [area.name for area in AREAS if area.streams and area.name != "events"]
    assert consumers == ["autobids"]
    expected |= {f"{prefix}-{name}-{kind}" for name in consumers for kind in ("stream-lag", "failed-batches")}
    expected |= {f"{prefix}-dynamodb-{spec.name}-throttles" for spec in TABLES}
    # Every work queue (the push queue): messages waiting too long, and dead letters.
    expected |= {f"{prefix}-{queue.name}-{kind}" for queue in QUEUES for kind in ("queue-age", "dead-letters")}
    assert set(_alarms(each_env)) == expected


def test_thresholds_come_from_the_settings(each_env: Synthesized) -> None:
    thresholds = settings_for(each_env.env).alarms
    alarms = _alarms(each_env)
    prefix = f"dce-{each_env.env}"
    assert alarms[f"{prefix}-api-5xx-rate"]["Threshold"] == thresholds.api_5xx_percent
    latency = alarms[f"{prefix}-api-latency-p99"]
    assert latency["Threshold"] == thresholds.api_p99_latency_ms
    assert latency["EvaluationPeriods"] == thresholds.latency_periods and latency["ExtendedStatistic"] == "p99"
    assert alarms[f"{prefix}-api-throttled"]["Threshold"] == thresholds.throttles
    assert alarms[f"{prefix}-lambda-calls-errors"]["Threshold"] == thresholds.lambda_errors
    assert alarms[f"{prefix}-auction-timer-failures"]["Threshold"] == thresholds.state_machine_failures
    assert alarms[f"{prefix}-events-stream-lag"]["Threshold"] == thresholds.stream_iterator_age_seconds * 1000
    assert alarms[f"{prefix}-autobids-stream-lag"]["Threshold"] == thresholds.stream_iterator_age_seconds * 1000
    assert alarms[f"{prefix}-autobids-failed-batches"]["Threshold"] == 0
    assert alarms[f"{prefix}-pushes-queue-age"]["Threshold"] == thresholds.stream_iterator_age_seconds
    assert alarms[f"{prefix}-pushes-dead-letters"]["Threshold"] == 0
    rate = json.dumps(alarms[f"{prefix}-api-5xx-rate"]["Metrics"])
    assert f"IF(requests >= {thresholds.api_min_requests}" in rate


def test_every_alarm_notifies_the_topic_on_alarm_and_recovery(each_env: Synthesized) -> None:
    (topic_id,) = each_env.of_type("AWS::SNS::Topic")
    for name, alarm in _alarms(each_env).items():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}], name
        assert alarm["OKActions"] == [{"Ref": topic_id}], name
        assert alarm["TreatMissingData"] == "notBreaching", name
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold", name


def test_the_alarm_topic_is_encrypted_with_a_rotated_key_cloudwatch_may_use(each_env: Synthesized) -> None:
    ((topic_id, topic),) = each_env.of_type("AWS::SNS::Topic").items()
    assert topic["Properties"]["TopicName"] == f"dce-{each_env.env}-alarms"
    (key_id,) = referenced_ids(topic["Properties"]["KmsMasterKeyId"])
    key = each_env.props(key_id)
    assert key["EnableKeyRotation"] is True
    cloudwatch = [
        s for s in key["KeyPolicy"]["Statement"] if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert [set(s["Action"]) for s in cloudwatch] == [{"kms:Decrypt", "kms:GenerateDataKey*"}]
    (policy,) = each_env.of_type("AWS::SNS::TopicPolicy").values()
    assert policy["Properties"]["Topics"] == [{"Ref": topic_id}]
    assert any(
        s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    )


def test_api_throttling_is_counted_from_the_access_logs(each_env: Synthesized) -> None:
    ((_, metric_filter),) = each_env.of_type("AWS::Logs::MetricFilter").items()
    props = metric_filter["Properties"]
    assert props["FilterPattern"] == '{ $.errorType = "THROTTLED" }'
    (transformation,) = props["MetricTransformations"]
    assert transformation["MetricNamespace"] == f"dce-{each_env.env}"
    (stage,) = each_env.of_type("AWS::ApiGateway::Stage").values()
    access_logs = referenced_ids(stage["Properties"]["AccessLogSetting"]["DestinationArn"])
    assert referenced_ids(props["LogGroupName"]) <= access_logs


def _dashboard_body(synthesized: Synthesized) -> str:
    (dashboard,) = synthesized.of_type("AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == f"dce-{synthesized.env}"
    return json.dumps(dashboard["Properties"]["DashboardBody"])


def test_dashboard_shows_the_business_metrics_in_the_functions_namespace(each_env: Synthesized) -> None:
    body = _dashboard_body(each_env)
    for name in BUSINESS_METRICS:
        # [namespace, metric, "service", "dce"]: the single dimension Powertools adds (POWERTOOLS_SERVICE_NAME).
        assert f'[\\"dce-{each_env.env}\\",\\"{name}\\",\\"service\\",\\"dce\\"' in body, name
    assert set(BUSINESS_METRICS) == {"CallsCreated", "BidsPlaced", "AuctionsClosed", "CallsBilled", "RevenueCents"}


def test_dashboard_covers_api_lambda_step_functions_dynamodb_and_websocket(dev: Synthesized) -> None:
    body = _dashboard_body(dev)
    for metric in ("5XXError", "Latency", "Invocations", "Throttles", "ExecutionsFailed", "ReadThrottleEvents"):
        assert f'\\"{metric}\\"' in body, metric
    for metric in ("ConnectCount", "IteratorAge", "ApproximateNumberOfMessagesVisible"):
        assert f'\\"{metric}\\"' in body, metric
    assert "alarms" in body  # the alarm status widget
