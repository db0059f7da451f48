"""The push queue in the template: FIFO with a message group per account and high throughput, encrypted, with a
dead-letter queue; the push function its only consumer (batches of 10, failures per message, a bounded
concurrency); the events function its only sender, told its URL."""

from __future__ import annotations

from typing import Any

import pytest

from dce.adapters.queues import PUSHES
from infra.constructs.work_queue import BATCH_SIZE, DEFAULT_MAX_CONCURRENCY, RETENTION
from infra.settings import settings_for
from tests.infra.cfn import Synthesized, as_list, referenced_ids

pytestmark = pytest.mark.infra


def _push_queue(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical_id, resource["Properties"])
        for logical_id, resource in synthesized.of_type("AWS::SQS::Queue").items()
        if "RedrivePolicy" in resource["Properties"]
    ]
    return found


def test_the_push_queue_is_fifo_per_account_group_encrypted_with_dead_letters(each_env: Synthesized) -> None:
    _, props = _push_queue(each_env)
    assert props["FifoQueue"] is True
    assert (props["DeduplicationScope"], props["FifoThroughputLimit"]) == ("messageGroup", "perMessageGroupId")
    assert props["KmsMasterKeyId"] == {"Fn::GetAtt": [each_env.data_key_id, "Arn"]}
    assert props["VisibilityTimeout"] == PUSHES.visibility_timeout_s
    assert props["MessageRetentionPeriod"] == RETENTION.to_seconds()
    redrive = props["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == PUSHES.max_receive_count
    (dead_id,) = referenced_ids(redrive["deadLetterTargetArn"])
    dead = each_env.props(dead_id)
    assert dead["FifoQueue"] is True and dead["KmsMasterKeyId"] == props["KmsMasterKeyId"]


def test_the_push_function_alone_consumes_it_in_bounded_batches(each_env: Synthesized) -> None:
    queue_id, _ = _push_queue(each_env)
    mappings = [
        m["Properties"]
        for m in each_env.of_type("AWS::Lambda::EventSourceMapping").values()
        if queue_id in referenced_ids(m["Properties"].get("EventSourceArn"))
    ]
    (mapping,) = mappings
    assert mapping["FunctionName"] == {"Ref": each_env.function_id("pushes")}
    assert mapping["BatchSize"] == BATCH_SIZE
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    expected = settings_for(each_env.env).queue_concurrency.get("pushes", DEFAULT_MAX_CONCURRENCY)
    assert mapping["ScalingConfig"]["MaximumConcurrency"] == expected
    assert expected == (10 if each_env.env == "prod" else DEFAULT_MAX_CONCURRENCY)


def test_only_the_events_function_may_send_to_it_and_it_is_told_the_url(each_env: Synthesized) -> None:
    queue_id, _ = _push_queue(each_env)
    senders = set()
    for role, statement in each_env.statements():
        actions = as_list(statement["Action"])
        if any(a == "sqs:SendMessage" for a in actions) and queue_id in referenced_ids(statement["Resource"]):
            senders.add(role)
            assert not any(a.startswith("sqs:Receive") or a.startswith("sqs:Delete") for a in actions)
    events_role = referenced_ids(each_env.props(each_env.function_id("events"))["Role"])
    assert senders and senders <= events_role
    for logical_id, function in each_env.of_type("AWS::Lambda::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        told = PUSHES.env_var in variables
        assert told == (logical_id == each_env.function_id("events")), logical_id
        if told:
            assert variables[PUSHES.env_var] == {"Ref": queue_id}
