"""The autobids function's logic: a batch of auctions-stream records (Lambda's DynamoDB event source shape,
filtered to new items by the mapping) → each `auction.opened` its automatic bids (`AutoBids.on_opened`).

Powertools' batch processor reports every failed record (`ReportBatchItemFailures`); Lambda retries from
the first one, so records after it may be delivered again — `AutoBids` is idempotent by event id. A record
that is no `auction.opened` (another table, a changed auction) is skipped, so a missing filter costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from dce.adapters.stream_records import change_from
from dce.domain.auctions import Auction
from dce.domain.events import AUCTION_OPENED, events_for

OnOpened = Callable[[str, Auction], object]  # (event id, auction): AutoBids.on_opened

_processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def opened_auctions(record: Mapping[str, Any], table_prefix: str) -> list[tuple[str, Auction]]:
    """The `auction.opened` events a stream record describes, as (event id, auction): the same translation
    (and the same event ids) as the WebSocket fan-out's."""
    change = change_from(record, table_prefix)
    if change is None:
        return []
    return [
        (event.id, auction)
        for event in events_for(change)
        if event.type == AUCTION_OPENED and isinstance(auction := event.data.get("auction"), Auction)
    ]


def handle_batch(
    event: dict[str, Any], context: LambdaContext | None, on_opened: OnOpened, table_prefix: str
) -> dict[str, Any]:
    """Run `on_opened` for every opened auction of the batch; `batchItemFailures` names the records that failed
    (a record fails only on a transient error: refusals such as AUCTION_CLOSED are outcomes, not failures)."""

    def record_handler(record: DynamoDBRecord) -> None:
        for event_id, auction in opened_auctions(record.raw_event, table_prefix):
            on_opened(event_id, auction)

    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=_processor, context=context)
    )
