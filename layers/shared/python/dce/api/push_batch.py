"""The push function's logic: a batch of SQS messages of the push queue (Lambda's event source shape) → frames
posted to their connections. Nothing is reported failed: a frame that could not be pushed is skipped (the client
was gone, slow or failing; it reads what it missed from the event log), and a message that is not one of ours is
dropped with a log line, as retrying it would fail the same way."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_lambda_powertools import Logger

from dce.adapters.push_queue import deliveries_from
from dce.services.pushes import Delivered, Delivery

logger = Logger(service="dce", child=True)


Deliver = Callable[[Sequence[Delivery]], list[Delivered]]


def handle_messages(event: Mapping[str, Any], deliver: Deliver) -> dict[str, Any]:
    """Deliver every message of the batch together (fairly across accounts, `PushService.deliver`)."""
    deliveries: list[Delivery] = []
    for record in event.get("Records") or []:
        try:
            deliveries += deliveries_from(str(record["body"]))
        except (ValueError, KeyError, TypeError, IndexError):
            logger.error("dropping a push message not of ours", extra={"message_id": record.get("messageId")})
    deliver(deliveries)
    return {"batchItemFailures": []}
