"""Lambda entry point of the push function: batches of the push queue (SQS FIFO, a message group per account).

Each message holds an account's frames of one stream batch, addressed by the events function; every connection
of the batch gets its frames, fairly across accounts and concurrently (`PushService.deliver`)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from dce.api.push_batch import handle_messages
from dce.bootstrap import pushes
from dce.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_messages(event, pushes().deliver)
