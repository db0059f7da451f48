"""Lambda entry point of the events fan-out: DynamoDB stream batches of calls, auctions and bids."""

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
    return handle_batch(event, events().publish, settings().table_prefix)
