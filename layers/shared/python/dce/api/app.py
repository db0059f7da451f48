"""Builds the Powertools resolver every handler uses: routers, edge checks, error mapping, request ids."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from dce.api.auth import authenticated, require
from dce.api.errors import (
    domain_error_response,
    error_body,
    error_headers,
    error_response,
    json_text,
    safe_validation_message,
    status_of,
)
from dce.api.idempotency import idempotency_key, once
from dce.api.json_body import parse_json, parse_object
from dce.api.rate_limit import take_token
from dce.api.routes import API_PREFIX, find_route
from dce.domain.errors import DomainError, ValidationFailed
from dce.domain.principal import Principal
from dce.observability import logger

MAX_BODY_BYTES = 64 * 1024
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class PayloadTooLarge(DomainError):
    code = "PAYLOAD_TOO_LARGE"
    default_message = "Request body exceeds 64 KiB"


class UnsupportedMediaType(DomainError):
    code = "UNSUPPORTED_MEDIA_TYPE"
    default_message = "Content-Type must be application/json"


def request_id(app: APIGatewayRestResolver) -> str:
    return str(app.current_event.request_context.request_id or "unknown")


def caller(router: Router | APIGatewayRestResolver) -> Principal:
    """The authenticated principal of the current request (the edge checks guarantee one)."""
    principal = router.context.get("principal")
    if not isinstance(principal, Principal):  # only public routes have none, and they never ask
        raise DomainError("No authenticated caller")
    return principal


def edge_checks(event: Mapping[str, Any]) -> Principal | None:
    """What must hold before any validation: the caller's rate limit, the role allowed on the route, then
    the body's size, media type and JSON syntax. Runs before Powertools' validation so a wrong role is 403."""
    route = find_route(str(event.get("httpMethod", "")), str(event.get("resource", "")))
    principal = None
    if route is None or route.rate_limited:
        take_token(event)
    if route is not None and not route.public:
        principal = require(authenticated(event), route.roles)  # a suspended account: 401 ACCOUNT_SUSPENDED
    body = event.get("body")
    if event.get("httpMethod") in BODY_METHODS and body:
        if event.get("isBase64Encoded"):
            raise UnsupportedMediaType()
        limit = route.max_body_bytes if route is not None else MAX_BODY_BYTES
        if len(str(body).encode()) > limit:
            raise PayloadTooLarge(f"Request body exceeds {limit // 1024} KiB")
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            raise UnsupportedMediaType()
        try:
            parse_json(body)  # the handlers' parser (json_body_deserializer below): bad syntax stops here
        except (ValueError, RecursionError) as exc:  # RecursionError: nesting deeper than Python's stack
            raise ValidationFailed("Invalid JSON body") from exc
    return principal


class DceResolver(APIGatewayRestResolver):
    """The Powertools REST resolver with our edge checks in front of it."""

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            principal = edge_checks(event)
            key = idempotency_key(event)
            if key is not None:
                return once(event, context, key, lambda: self._resolve_checked(event, context, principal))
        except DomainError as error:
            rid = str((event.get("requestContext") or {}).get("requestId") or "unknown")
            status = status_of(error)
            return {
                "statusCode": status,
                "headers": {
                    "Content-Type": "application/json",
                    **error_headers(error.code, rid, error.retry_after, status),
                },
                "body": error_body(error.code, error.message, rid),
                "isBase64Encoded": False,
            }
        return self._resolve_checked(event, context, principal)

    def _resolve_checked(
        self, event: Mapping[str, Any], context: LambdaContext, principal: Principal | None
    ) -> dict[str, Any]:
        if principal is not None:
            self.append_context(principal=principal)
        result = super().resolve(event, context)
        if result.get("statusCode") == 204:  # no content: Powertools serialises a None body as "null"
            result["body"] = ""
        return result


def _with_request_id(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    response = next_middleware(app)
    response.headers["X-Request-Id"] = request_id(app)
    return response


def build_app(*routers: Router) -> APIGatewayRestResolver:
    """One resolver for the given area routers, with the project's error shape on every failure."""
    # json_text: every JSON body, success or error, ends with a newline (errors.error_body uses it too).
    # parse_object: a body is a JSON object whose numbers are read exactly (money never through a float).
    app = DceResolver(
        enable_validation=True, strip_prefixes=[API_PREFIX], serializer=json_text, json_body_deserializer=parse_object
    )
    for router in routers:
        app.include_router(router)
    app.use(middlewares=[_with_request_id])

    @app.exception_handler(DomainError)
    def _domain(error: DomainError) -> Response[str]:
        return domain_error_response(error, request_id(app))

    @app.exception_handler(RequestUnsupportedContentType)
    def _media(_: RequestUnsupportedContentType) -> Response[str]:
        return domain_error_response(UnsupportedMediaType(), request_id(app))

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response[str]:
        details = []
        for item in error.errors():
            location = [str(p) for p in item.get("loc", ()) if p not in ("body", "query", "path", "header")]
            field = ".".join(location) or "body"
            details.append({"field": field, "message": safe_validation_message(field, item)})
        message = details[0]["message"] if details else "Invalid request"
        return error_response("VALIDATION_ERROR", message, request_id(app), details)

    @app.not_found
    def _not_found(_: NotFoundError) -> Response[str]:
        return error_response("NOT_FOUND", "Route not found", request_id(app))

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[str]:
        logger.exception("unhandled error")  # the stack goes to the log, never to the client
        return error_response("INTERNAL_ERROR", "Internal server error", request_id(app))

    return app
