"""The auction timer: one Step Functions execution per auction, and its state machine definition.

`definition()` is the single source of the ASL: CDK deploys it, the local emulator creates it.
Wait (SecondsPath) → CloseAuction (Lambda) → Choice: closed → done, extended → wait again.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import ClientError

from dce.config import settings

CLOSE_FUNCTION_PLACEHOLDER = "${CloseAuctionFunctionArn}"
logger = logging.getLogger(__name__)


def definition(close_function_arn: str = CLOSE_FUNCTION_PLACEHOLDER) -> dict[str, Any]:
    """The ASL of the auction timer. The close function returns `{auction_id, closed, wait_seconds}`."""
    return {
        "Comment": "Closes one auction when it ends; waits again if a late bid extended it.",
        "StartAt": "WaitForEnd",
        "States": {
            "WaitForEnd": {"Type": "Wait", "SecondsPath": "$.wait_seconds", "Next": "CloseAuction"},
            "CloseAuction": {
                "Type": "Task",
                "Resource": close_function_arn,
                "Retry": [
                    {
                        "ErrorEquals": [
                            "States.TaskFailed",
                            "Lambda.ServiceException",
                            "Lambda.TooManyRequestsException",
                        ],
                        "IntervalSeconds": 1,
                        "MaxAttempts": 5,
                        "BackoffRate": 2.0,
                    }
                ],
                "Next": "ClosedYet",
            },
            "ClosedYet": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.closed", "BooleanEquals": True, "Next": "Closed"}],
                "Default": "WaitForEnd",
            },
            "Closed": {"Type": "Succeed"},
        },
    }


@lru_cache(maxsize=1)
def _client() -> Any:
    return boto3.client("stepfunctions", region_name=settings().region)


class StepFunctionsTimer:
    """Starts the timer execution for an auction, named after it so a duplicate start is refused."""

    def start(self, auction_id: str, wait_seconds: int) -> None:
        arn = settings().auction_state_machine_arn
        if not arn:
            logger.warning("no auction state machine configured; auction %s closes only on demand", auction_id)
            return
        payload = json.dumps({"auction_id": auction_id, "wait_seconds": max(0, wait_seconds)})
        try:
            _client().start_execution(stateMachineArn=arn, name=auction_id, input=payload)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise


def reset() -> None:
    _client.cache_clear()
