"""The automatic bids in the template: their own function, fed by the auctions stream only (new items, by
filter criteria), from LATEST, with bounded retries, bisection and a failure queue of their own."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dce.adapters.tables import AUCTIONS
from infra.constructs.stream_consumer import MAX_RECORD_AGE, STREAM_BATCH_SIZE
from infra.settings import settings_for
from tests.infra.cfn import Synthesized, referenced_ids

pytestmark = pytest.mark.infra


def _mappings(synthesized: Synthesized, area: str) -> list[dict[str, Any]]:
    function = {"Ref": synthesized.function_id(area)}
    mappings = synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
    return [m["Properties"] for m in mappings if m["Properties"]["FunctionName"] == function]


def _queue(mapping: dict[str, Any]) -> str:
    (queue_id,) = referenced_ids(mapping["DestinationConfig"]["OnFailure"]["Destination"])
    return queue_id


def test_the_automatic_bids_read_only_new_auctions_from_latest(each_env: Synthesized) -> None:
    (mapping,) = _mappings(each_env, "autobids")
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [each_env.table_id(AUCTIONS.name), "StreamArn"]}
    assert mapping["StartingPosition"] == "LATEST"
    (pattern,) = mapping["FilterCriteria"]["Filters"]
    assert json.loads(pattern["Pattern"]) == {"eventName": ["INSERT"]}  # auction.opened; no changes, no removals


def test_the_automatic_bids_retry_bisect_report_and_give_up_on_old_records(each_env: Synthesized) -> None:
    (mapping,) = _mappings(each_env, "autobids")
    assert mapping["BisectBatchOnFunctionError"] is True
    assert 0 < mapping["MaximumRetryAttempts"] <= 5
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] == STREAM_BATCH_SIZE
    assert mapping["MaximumRecordAgeInSeconds"] == MAX_RECORD_AGE.to_seconds() == 3600  # the longest auction
    expected_factor = settings_for(each_env.env).stream_parallelization.get("autobids", 1)
    assert mapping.get("ParallelizationFactor", 1) == expected_factor
    assert expected_factor == (4 if each_env.env == "prod" else 1)


def test_the_automatic_bids_have_a_failure_queue_of_their_own(each_env: Synthesized) -> None:
    (mapping,) = _mappings(each_env, "autobids")
    queue_id = _queue(mapping)
    assert queue_id not in {_queue(m) for m in _mappings(each_env, "events")}
    props = each_env.props(queue_id)
    assert props["KmsMasterKeyId"] == {"Fn::GetAtt": [each_env.data_key_id, "Arn"]}
    assert props["MessageRetentionPeriod"] == 14 * 24 * 3600
    (policy,) = (
        p
        for p in each_env.of_type("AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [{"Ref": queue_id}]
    )
    [deny] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    sends = [
        s
        for s in each_env.role_statements(each_env.function_id("autobids"))
        if "sqs:SendMessage" in s["Action"] or s["Action"] == "sqs:SendMessage"
    ]
    assert sends and all(referenced_ids(s["Resource"]) == {queue_id} for s in sends)


def test_prod_reserves_concurrency_for_the_automatic_bids_within_the_same_total(prod: Synthesized) -> None:
    reserved = settings_for("prod").reserved_concurrency
    assert reserved is not None and reserved["autobids"] == 20 and sum(reserved.values()) == 870
    assert prod.props(prod.function_id("autobids"))["ReservedConcurrentExecutions"] == 20


@pytest.mark.parametrize("factor", [0, 11])
def test_the_parallelization_factor_is_lambdas_range(factor: int) -> None:
    import dataclasses

    with pytest.raises(ValueError, match="stream_parallelization"):
        dataclasses.replace(settings_for("dev"), stream_parallelization={"autobids": factor})
