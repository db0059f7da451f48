"""Step Functions task: the auction timer fired. Returns `{auction_id, closed, wait_seconds}`."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from dce.api.ids import parse_uuid
from dce.bootstrap import services
from dce.observability import logger, metrics, tracer


@logger.inject_lambda_context(correlation_id_path="auction_id")
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    tick = services().auctions.on_timer(parse_uuid(str(event.get("auction_id", ""))))
    return {"auction_id": tick.auction_id, "closed": tick.closed, "wait_seconds": tick.wait_seconds}
