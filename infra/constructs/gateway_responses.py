"""API Gateway's own errors (auth, unknown route, throttling, ...) in the project's error shape.

Lambda errors already look like `{"error": {"code", "message", "request_id"}}` (dce.api.errors); these
gateway responses make the answers API Gateway gives without calling a Lambda look the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aws_cdk import aws_apigateway as apigw

REQUEST_ID = "$context.requestId"
# The gateway's own message, already JSON-quoted by API Gateway (e.g. "Endpoint request timed out").
GATEWAY_MESSAGE = "$context.error.messageString"


@dataclass(frozen=True, slots=True)
class GatewayError:
    response_type: apigw.ResponseType
    status: str | None  # None keeps the status API Gateway chose (the DEFAULT_* catch-alls)
    code: str  # a code from dce.api.errors.STATUS_BY_CODE
    message: str | None  # None: API Gateway's own message
    extra_headers: tuple[tuple[str, str], ...] = ()


GATEWAY_ERRORS: tuple[GatewayError, ...] = (
    # The authorizer rejected the request (raised "Unauthorized") or it carried no credentials.
    GatewayError(
        apigw.ResponseType.UNAUTHORIZED,
        "401",
        "UNAUTHORIZED",
        "Authentication required",
        # Same challenge as dce.api.errors.error_headers; static header values are single-quoted.
        (("WWW-Authenticate", "'Bearer realm=\"dce\"'"),),
    ),
    GatewayError(apigw.ResponseType.ACCESS_DENIED, "403", "FORBIDDEN", "Access denied"),
    # What API Gateway answers for a path or method that no route defines.
    GatewayError(apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, "404", "NOT_FOUND", "Resource not found"),
    GatewayError(apigw.ResponseType.REQUEST_TOO_LARGE, "413", "PAYLOAD_TOO_LARGE", "Request body too large"),
    GatewayError(apigw.ResponseType.THROTTLED, "429", "RATE_LIMITED", "Too many requests"),
    GatewayError(apigw.ResponseType.DEFAULT_4_XX, None, "BAD_REQUEST", None),
    GatewayError(apigw.ResponseType.DEFAULT_5_XX, None, "INTERNAL_ERROR", None),
)


def error_template(code: str, message: str | None) -> str:
    """The `application/json` body: a VTL template, only `$context` variables are expanded."""
    quoted_message = json.dumps(message) if message is not None else GATEWAY_MESSAGE
    # Ends with a newline like every JSON body of the functions (dce.api.errors.json_text): curl output stays apart.
    return f'{{"error": {{"code": "{code}", "message": {quoted_message}, "request_id": "{REQUEST_ID}"}}}}\n'


def add_gateway_responses(api: apigw.RestApi) -> None:
    for error in GATEWAY_ERRORS:
        headers = {
            # A context variable, not a quoted literal: the same id as in the body and the access logs.
            "X-Request-Id": "context.requestId",
            **dict(error.extra_headers),
        }
        api.add_gateway_response(
            error.response_type.response_type,
            type=error.response_type,
            status_code=error.status,
            response_headers=headers,
            templates={"application/json": error_template(error.code, error.message)},
        )
