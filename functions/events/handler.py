"""Lambda entry point of the events fan-out: DynamoDB stream batches of calls, auctions and bids.

Each record is recorded and addressed in order; the batch's frames are then delivered together, fairly
across accounts and concurrently (`EventService.batch`)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from dce.api.event_stream import handle_batch
from dce.bootstrap import events
from dce.config import settings
from dce.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with events().batch() as batch:
        return handle_batch(event, batch.publish, settings().table_prefix)
