"""Lambda entry point of the WebSocket API: $connect (token check), $disconnect, $default (ping, subscribe)."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from dce.api.websocket import handle
from dce.bootstrap import connections

logger = Logger(service="dce")


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, connections())
