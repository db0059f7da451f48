"""Lambda entry point for the bids and bid-profile routes (see dce.api.routes.ROUTES)."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from dce.api.app import build_app
from dce.api.routers import bid_profiles, bids
from dce.observability import logger, metrics, tracer

app = build_app(bids.router, bid_profiles.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)  # responses hold tokens and personal data
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
