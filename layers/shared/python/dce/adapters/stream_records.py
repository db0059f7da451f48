"""DynamoDB stream records (as the Lambda event source delivers them) → domain changes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from dce.adapters.items import auction_from, bid_from, call_from
from dce.adapters.tables import AUCTIONS, BIDS, CALLS, TABLES, Table
from dce.domain.events import Change, Entity

_DESERIALIZER = TypeDeserializer()
_PARSERS: dict[str, Callable[[dict[str, Any]], Entity]] = {
    CALLS.name: call_from,
    AUCTIONS.name: auction_from,
    BIDS.name: bid_from,
}
# The tables whose streams feed the events function: those with `stream=True` in TABLES.
STREAM_SOURCES: tuple[Table, ...] = tuple(table for table in TABLES if table.stream)


def source_table(event_source_arn: str, prefix: str) -> str | None:
    """The TABLES name of a stream ARN (`arn:aws:dynamodb:<region>:<account>:table/<physical>/stream/<label>`)."""
    parts = event_source_arn.split("/")
    physical = parts[1] if len(parts) > 1 else ""
    for table in TABLES:
        if table.physical_name(prefix) == physical:
            return table.name
    return None


def change_from(record: Mapping[str, Any], prefix: str) -> Change | None:
    """The change a stream record describes, or None for a table the events function does not follow."""
    parse = _PARSERS.get(source_table(str(record.get("eventSourceARN", "")), prefix) or "")
    if parse is None:
        return None
    stream = record["dynamodb"]

    def image(key: str) -> Entity | None:
        raw = stream.get(key)
        if not raw:
            return None
        return parse({name: _DESERIALIZER.deserialize(value) for name, value in raw.items()})

    created = stream.get("ApproximateCreationDateTime")
    at = datetime.fromtimestamp(float(created), UTC) if created is not None else datetime.now(UTC)
    return Change(str(record["eventID"]), image("OldImage"), image("NewImage"), at)
