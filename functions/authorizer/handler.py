"""Lambda authorizer (REQUEST type): Bearer JWT or X-API-Key."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from dce.api.authorizer import policy_for


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return policy_for(event)
