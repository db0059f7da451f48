"""Stream records in Lambda's event shape → domain changes; the local poller's batch bookkeeping."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from dce.adapters.items import bid_item, call_item
from dce.adapters.stream_records import _PARSERS, STREAM_SOURCES, change_from, source_table
from dce.api.event_stream import handle_batch
from dce.domain.auctions import BidStatus
from dce.domain.events import Change
from local.streams import _succeeded, lambda_record
from local.websocket import HandshakeLogFilter
from tests.unit.events_support import a_bid, a_call

PREFIX = "dce-test"
ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/{}/stream/2026-03-01T00:00:00.000"
_SERIALIZE = TypeSerializer()


def image(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _SERIALIZE.serialize(value) for key, value in item.items()}


def record(table: str, new: dict[str, Any] | None, old: dict[str, Any] | None = None, seq: str = "1") -> dict[str, Any]:
    stream: dict[str, Any] = {"SequenceNumber": seq, "ApproximateCreationDateTime": 1772366400.5}
    if new is not None:
        stream["NewImage"] = image(new)
    if old is not None:
        stream["OldImage"] = image(old)
    name = "MODIFY" if old and new else "INSERT" if new else "REMOVE"
    return {"eventID": f"ev-{seq}", "eventName": name, "dynamodb": stream, "eventSourceARN": ARN.format(table)}


def test_the_source_table_comes_from_the_stream_arn():
    assert source_table(ARN.format("dce-test-calls"), PREFIX) == "calls"
    assert source_table(ARN.format("dce-prod-calls"), PREFIX) is None
    assert source_table("garbage", PREFIX) is None


def test_a_record_becomes_a_change_of_domain_objects():
    call = a_call(call_type="sales", keywords=("auto",))
    change = change_from(record("dce-test-calls", call_item(call)), PREFIX)
    assert change == Change("ev-1", None, call, datetime(2026, 3, 1, 12, 0, 0, 500000, tzinfo=UTC))


def test_old_and_new_images_are_both_read():
    old, new = a_bid(), a_bid(status=BidStatus.WON)
    change = change_from(record("dce-test-bids", bid_item(new), bid_item(old)), PREFIX)
    assert change is not None and (change.old, change.new) == (old, new)


def test_records_of_other_tables_are_ignored():
    assert change_from(record("dce-test-accounts", {"id": "a"}), PREFIX) is None


def test_a_batch_reports_the_first_record_that_failed():
    seen: list[str] = []

    def publish(change: Change) -> int:
        seen.append(change.id)
        if change.id == "ev-2":
            raise RuntimeError("boom")
        return 1

    event = {"Records": [record("dce-test-calls", call_item(a_call()), seq=str(n)) for n in (1, 2, 3)]}
    assert handle_batch(event, publish, PREFIX) == {"batchItemFailures": [{"itemIdentifier": "2"}]}
    assert seen == ["ev-1", "ev-2"]  # stops there: Lambda retries from the failed record, in order
    assert handle_batch({"Records": event["Records"][2:]}, publish, PREFIX) == {"batchItemFailures": []}


def test_the_poller_counts_how_many_records_at_the_head_of_a_batch_succeeded():
    records = [{"dynamodb": {"SequenceNumber": str(n)}} for n in (1, 2, 3)]
    assert _succeeded("ok", {"batchItemFailures": []}, records) == 3
    assert _succeeded("ok", None, records) == 3
    assert _succeeded("ok", {"batchItemFailures": [{"itemIdentifier": "2"}]}, records) == 1
    assert _succeeded("error", "boom", records) == 0


def test_poller_records_have_lambdas_shape():
    raw = {
        "eventID": "e",
        "dynamodb": {"SequenceNumber": "7", "ApproximateCreationDateTime": datetime(2026, 3, 1, tzinfo=UTC)},
    }
    shaped = lambda_record(raw, "arn:stream")
    assert shaped["eventSourceARN"] == "arn:stream"
    assert shaped["dynamodb"]["ApproximateCreationDateTime"] == datetime(2026, 3, 1, tzinfo=UTC).timestamp()
    assert isinstance(raw["dynamodb"]["ApproximateCreationDateTime"], datetime)  # the input is left alone


def test_access_tokens_in_handshake_log_lines_are_redacted():
    line = logging.LogRecord(
        "uvicorn.error",
        logging.INFO,
        "",
        0,
        '%s - "WebSocket %s" %s',
        ("1.2.3.4", "/ws/events?token=eyJ.abc.def&x=1", "[accepted]"),
        None,
    )
    assert HandshakeLogFilter().filter(line)
    assert "eyJ" not in line.getMessage() and "token=[redacted]&x=1" in line.getMessage()


def test_every_stream_enabled_table_has_a_reader():
    assert {table.name for table in STREAM_SOURCES} <= set(_PARSERS)
