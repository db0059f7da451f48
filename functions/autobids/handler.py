"""Lambda entry point of the automatic bids: auctions-stream batches (new auctions only, by the mapping's
filter) → each opened auction's matching profiles bid through the bid path."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from dce.api.autobid_stream import handle_batch
from dce.bootstrap import services
from dce.config import settings
from dce.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_batch(event, context, services().auto_bids.on_opened, settings().table_prefix)
