"""The compliance adapter on moto: one strongly consistent BatchGetItem per check, atomic velocity
counters with TTL, batch-written imports, and failing closed whenever the store cannot answer."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from dce.adapters import aws
from dce.adapters.compliance_repo import DynamoComplianceRepo
from dce.adapters.tables import COMPLIANCE_SETTINGS, COUNTERS, DNC
from dce.domain.calls import Direction
from dce.domain.compliance import DncList, Region
from dce.domain.errors import ComplianceUnavailable, DncBlocked, FraudSuspected, GeoRestricted, TcpaViolation
from dce.domain.phone import PhoneNumber
from dce.services.compliance import ComplianceService
from tests.round_trips import dynamodb_calls

NOW = datetime(2025, 6, 18, 19, 0, tzinfo=UTC)  # 12:00 in California, 15:00 in New York
SF, NYC = PhoneNumber.parse("+14155551234"), PhoneNumber.parse("+12125551234")


class Clock:
    def __init__(self) -> None:
        self.current = NOW

    def now(self) -> datetime:
        return self.current


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def compliance(aws: None, clock: Clock) -> ComplianceService:
    return ComplianceService(DynamoComplianceRepo(), clock, calls_per_hour=5)


def outbound(service: ComplianceService, to: PhoneNumber = SF, account: str = "buyer-1") -> None:
    service.screen(account, Direction.OUTBOUND, NYC, to)


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "injected"}}, "BatchGetItem")


# --- one read, one counter -----------------------------------------------------------------------


def test_a_compliant_call_costs_one_batched_read_and_one_counter_update(compliance):
    compliance.restrict(Region.state("NY"), True, "not licensed")
    compliance.set_hours("08:00", "21:00", "America/New_York")
    compliance.add_dnc("+13125551234", "asked", DncList.INTERNAL, None)
    with dynamodb_calls() as calls:
        outbound(compliance)
    assert calls == {"BatchGetItem": 1, "UpdateItem": 1}


def test_a_refused_call_costs_one_read_and_counts_nothing(compliance):
    compliance.add_dnc(SF.e164, "asked", DncList.INTERNAL, None)
    with dynamodb_calls() as calls, pytest.raises(DncBlocked):
        outbound(compliance)
    assert calls == {"BatchGetItem": 1}
    assert aws.table(COUNTERS).scan()["Items"] == []


def test_the_read_is_strongly_consistent_on_both_tables(compliance):
    seen: list[dict[str, Any]] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        seen.append(params)

    events = aws.dynamodb().meta.client.meta.events
    events.register("before-parameter-build.dynamodb.BatchGetItem", capture, unique_id="capture-batch-get")
    try:
        outbound(compliance)
    finally:
        events.unregister("before-parameter-build.dynamodb.BatchGetItem", unique_id="capture-batch-get")
    [request] = [p["RequestItems"] for p in seen]
    assert set(request) == {aws.table_name(DNC), aws.table_name(COMPLIANCE_SETTINGS)}
    assert all(table["ConsistentRead"] is True for table in request.values())
    assert len(request[aws.table_name(COMPLIANCE_SETTINGS)]["Keys"]) == 3  # hours, state#CA, country#1


def test_each_stored_fact_refuses_the_call_it_should(compliance):
    compliance.add_dnc(SF.e164, "asked", DncList.FEDERAL, None)
    with pytest.raises(DncBlocked):
        outbound(compliance)
    compliance.remove_dnc(SF.e164)
    compliance.set_hours("12:01", "21:00", "America/New_York")
    with pytest.raises(TcpaViolation):
        outbound(compliance)
    compliance.set_hours("12:00", "12:01", "America/New_York")
    compliance.restrict(Region.country(1), True, "no NANP")
    with pytest.raises(GeoRestricted):
        outbound(compliance)
    compliance.restrict(Region.state("CA"), False, "licensed in California")
    outbound(compliance)


def test_an_inbound_call_is_screened_on_its_from_number_only(compliance):
    compliance.add_dnc(NYC.e164, "asked", DncList.INTERNAL, None)
    compliance.restrict(Region.state("CA"), True, "not licensed")
    with pytest.raises(GeoRestricted):
        compliance.screen("buyer-1", Direction.INBOUND, SF, NYC)
    compliance.screen("buyer-1", Direction.INBOUND, NYC, SF)


# --- velocity ------------------------------------------------------------------------------------


def test_the_velocity_counter_is_atomic_under_concurrency(compliance):
    def attempt(_: int) -> str:
        try:
            outbound(compliance)
        except FraudSuspected:
            return "refused"
        return "ok"

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(attempt, range(12)))
    assert outcomes.count("ok") == 5 and outcomes.count("refused") == 7


def test_the_velocity_counter_expires_by_ttl_and_a_new_hour_starts_afresh(compliance, clock):
    for _ in range(5):
        outbound(compliance)
    with pytest.raises(FraudSuspected):
        outbound(compliance)
    [counter] = aws.table(COUNTERS).scan()["Items"]
    assert counter["key"] == "calls#buyer-1#2025061819" and counter["n"] == 5
    assert counter["expires_at_epoch"] == int((NOW + timedelta(hours=2)).timestamp())
    clock.current = NOW + timedelta(hours=1)
    outbound(compliance)


# --- DNC storage ---------------------------------------------------------------------------------


def test_the_dnc_table_expires_listings_by_ttl_and_the_check_does_not_wait_for_it(compliance, clock):
    ttl = aws.dynamodb().meta.client.describe_time_to_live(TableName=aws.table_name(DNC))
    assert ttl["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at_epoch"}
    compliance.add_dnc(SF.e164, "for a day", DncList.CUSTOM, NOW + timedelta(days=1))
    compliance.add_dnc(NYC.e164, "for ever", DncList.CUSTOM, None)
    items = {i["phone_number"]: i for i in aws.table(DNC).scan()["Items"]}
    assert items[SF.e164]["expires_at_epoch"] > int((NOW + timedelta(days=1)).timestamp()) - 1
    assert "expires_at_epoch" not in items[NYC.e164]
    clock.current = NOW + timedelta(days=1)  # expired, though DynamoDB may not have deleted it yet
    assert compliance.dnc_status(SF.e164).entry is None
    clock.current = NOW + timedelta(days=1) - timedelta(hours=13)  # 12:00 the day after, still listed
    with pytest.raises(DncBlocked):
        outbound(compliance)


def test_an_import_of_ten_thousand_numbers_is_batch_written(compliance):
    numbers = [f"+1415555{n:04d}" for n in range(10_000)]
    with dynamodb_calls() as calls:
        result = compliance.import_dnc("\n".join(numbers), "federal list", DncList.FEDERAL, None)
    assert result.imported == 10_000 and result.invalid_count == 0
    assert calls == {"BatchWriteItem": 400}
    assert aws.table(DNC).scan(Select="COUNT")["Count"] == 10_000
    assert compliance.dnc_status("+14155559999").entry is not None


def test_an_import_retries_what_dynamodb_leaves_unprocessed(compliance, monkeypatch):
    client = aws.dynamodb().meta.client
    real = client.batch_write_item
    first = {"done": False}

    def throttle_once(**kwargs: Any) -> dict[str, Any]:
        if not first["done"]:
            first["done"] = True
            return {"UnprocessedItems": kwargs["RequestItems"]}
        return dict(real(**kwargs))

    monkeypatch.setattr(client, "batch_write_item", throttle_once)
    compliance.import_dnc("+14155551234\n+12125551234", "bulk", DncList.INTERNAL, None)
    assert aws.table(DNC).scan(Select="COUNT")["Count"] == 2


# --- failing closed ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        client_error("ProvisionedThroughputExceededException"),
        client_error("ResourceNotFoundException"),
        client_error("InternalServerError"),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
    ],
    ids=["throttled", "no-table", "internal", "unreachable"],
)
def test_a_check_the_store_cannot_answer_refuses_the_call(compliance, monkeypatch, failure):
    def fail(**_: Any) -> None:
        raise failure

    monkeypatch.setattr(aws.dynamodb().meta.client, "batch_get_item", fail)
    with pytest.raises(ComplianceUnavailable):
        outbound(compliance)
    assert aws.table(COUNTERS).scan()["Items"] == []


def test_keys_dynamodb_leaves_unread_refuse_the_call_rather_than_count_as_absent(compliance, monkeypatch):
    def never_read(**kwargs: Any) -> dict[str, Any]:
        return {"Responses": {}, "UnprocessedKeys": kwargs["RequestItems"]}

    monkeypatch.setattr(aws.dynamodb().meta.client, "batch_get_item", never_read)
    with pytest.raises(ComplianceUnavailable):
        outbound(compliance)


def test_keys_left_unread_once_are_read_again(compliance, monkeypatch):
    compliance.add_dnc(SF.e164, "asked", DncList.INTERNAL, None)
    client = aws.dynamodb().meta.client
    real, calls = client.batch_get_item, []

    def partial(**kwargs: Any) -> dict[str, Any]:
        calls.append(kwargs)
        if len(calls) == 1:
            return {"Responses": {}, "UnprocessedKeys": kwargs["RequestItems"]}
        return dict(real(**kwargs))

    monkeypatch.setattr(client, "batch_get_item", partial)
    with pytest.raises(DncBlocked):
        outbound(compliance)
    assert len(calls) == 2


def test_an_unreadable_stored_setting_refuses_the_call(compliance):
    aws.table(COMPLIANCE_SETTINGS).put_item(Item={"pk": "tcpa", "sk": "hours", "start_time": "soon"})
    with pytest.raises(ComplianceUnavailable):
        outbound(compliance)


def test_a_counter_the_store_cannot_update_refuses_the_call(compliance, monkeypatch):
    def fail(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, "UpdateItem")

    monkeypatch.setattr(aws.table(COUNTERS).meta.client, "update_item", fail)
    with pytest.raises(ComplianceUnavailable):
        outbound(compliance)
