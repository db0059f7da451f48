"""The events function's logic: a batch of DynamoDB stream records (Lambda's event source shape) →
domain events recorded and pushed. Reports the first failed record so Lambda retries from there
(`ReportBatchItemFailures`); records before it are not redelivered."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger

from dce.adapters.stream_records import change_from
from dce.domain.events import Change

logger = Logger(service="dce", child=True)


def handle_batch(event: Mapping[str, Any], publish: Callable[[Change], int], table_prefix: str) -> dict[str, Any]:
    """Publish every record of the batch in order; `batchItemFailures` names the first that failed."""
    for record in event.get("Records") or []:
        try:
            change = change_from(record, table_prefix)
            if change is not None:
                publish(change)
        except Exception:
            logger.exception("publishing a stream record failed", extra={"event_id": record.get("eventID")})
            return {"batchItemFailures": [{"itemIdentifier": str(record["dynamodb"]["SequenceNumber"])}]}
    return {"batchItemFailures": []}
