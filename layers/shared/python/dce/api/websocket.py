"""The WebSocket API's three routes, served by one function (API Gateway's WebSocket event shape).

- `$connect`: the access token comes as `?token=` (browsers cannot set headers on a WebSocket); without
  a valid one, or for a suspended account (`ACCOUNT_SUSPENDED`), the handshake is refused with 401; an
  account that already has its maximum of connections (`DCE_WS_MAX_CONNECTIONS_PER_ACCOUNT`, admins too)
  gets 429 `RATE_LIMITED` with `Retry-After`. The connection is stored until its token expires (at most
  2 hours, API Gateway's limit).
- `$disconnect`: the connection is forgotten (and its place in the account's count freed).
- `$default`: `{"action": "ping"}` → `{"type": "pong"}`; `{"action": "subscribe", "topics": [...]}` →
  `{"type": "subscribed", "topics": [...]}`. Anything else gets an error frame and the connection stays
  open. Replies are the route response (the function's `body`), so they need no `@connections` call.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger
from pydantic import AfterValidator, BaseModel, Field, TypeAdapter, ValidationError

from dce.api.errors import error_body, error_headers, status_of
from dce.domain.connections import MAX_TOPICS
from dce.domain.errors import AccountSuspended, DomainError, RateLimited, Unauthorized
from dce.domain.events import MAX_TOPIC_LENGTH, is_valid_topic
from dce.services.connections import ConnectionService

logger = Logger(service="dce", child=True)

MAX_MESSAGE_BYTES = 32 * 1024  # API Gateway's WebSocket frame size limit
UNKNOWN_ACTION = 'Unknown action: send {"action": "ping"} or {"action": "subscribe", "topics": [...]}'
INVALID_TOPICS = f'Invalid topics: 1 to {MAX_TOPICS} prefixes of event types, e.g. "auction" or "call.completed"'
_NOT_AN_ACTION = frozenset({"union_tag_invalid", "union_tag_not_found", "model_attributes_type", "model_type"})


def _check_topic(topic: str) -> str:
    if not is_valid_topic(topic):
        raise ValueError("not a prefix of any event type")
    return topic


Topic = Annotated[str, Field(min_length=1, max_length=MAX_TOPIC_LENGTH), AfterValidator(_check_topic)]


class Ping(BaseModel):
    action: Literal["ping"]


class Subscribe(BaseModel):
    action: Literal["subscribe"]
    topics: list[Topic] = Field(min_length=1, max_length=MAX_TOPICS)


_MESSAGE: TypeAdapter[Ping | Subscribe] = TypeAdapter(Annotated[Ping | Subscribe, Field(discriminator="action")])


def handle(event: Mapping[str, Any], connections: ConnectionService) -> dict[str, Any]:
    """Serve one WebSocket event: the route comes from `requestContext.routeKey`."""
    context = event.get("requestContext") or {}
    route, connection_id = context.get("routeKey"), str(context.get("connectionId") or "")
    if route == "$connect":
        return _connect(event, connection_id, str(context.get("requestId") or "unknown"), connections)
    if route == "$disconnect":
        connections.close(connection_id)
        return {"statusCode": 200}
    try:
        reply = _reply(event, connection_id, connections)
    except Exception:  # the stack goes to the log; the client gets an error frame and keeps its connection
        logger.exception("websocket message failed")
        reply = error_frame("INTERNAL_ERROR", "Internal server error")
    return {"statusCode": 200, "body": json.dumps(reply)}


def _connect(
    event: Mapping[str, Any], connection_id: str, request_id: str, connections: ConnectionService
) -> dict[str, Any]:
    token = (event.get("queryStringParameters") or {}).get("token")
    try:
        connections.open(connection_id, str(token) if token else None)
    # 401: no token, a bad one, a suspended account; 429: the account's connections are at the maximum.
    except (Unauthorized, AccountSuspended, RateLimited) as refused:
        status = status_of(refused)
        headers = error_headers(refused.code, request_id, refused.retry_after, status)
        return {
            "statusCode": status,
            "headers": {"Content-Type": "application/json", **headers},
            "body": error_body(refused.code, refused.message, request_id),
        }
    return {"statusCode": 200}


def _reply(event: Mapping[str, Any], connection_id: str, connections: ConnectionService) -> dict[str, Any]:
    body = event.get("body")
    if event.get("isBase64Encoded") or not isinstance(body, str):
        return error_frame("VALIDATION_ERROR", "Messages must be JSON text")
    if len(body.encode()) > MAX_MESSAGE_BYTES:
        return error_frame("VALIDATION_ERROR", f"Message too large: at most {MAX_MESSAGE_BYTES // 1024} KiB")
    try:
        message = _MESSAGE.validate_json(body)
    except ValidationError as invalid:
        return error_frame("VALIDATION_ERROR", _explain(invalid))
    if isinstance(message, Ping):
        return {"type": "pong"}
    try:
        topics = connections.subscribe(connection_id, tuple(message.topics))
    except DomainError as error:
        return error_frame(error.code, error.message)
    return {"type": "subscribed", "topics": list(topics)}


def _explain(invalid: ValidationError) -> str:
    """A message naming what is wrong, never echoing the input."""
    first = invalid.errors(include_input=False)[0]
    if first["type"] == "json_invalid":
        return "Invalid JSON"
    if first["type"] in _NOT_AN_ACTION or first["loc"][:1] == ():
        return UNKNOWN_ACTION
    if "topics" in first["loc"]:
        return INVALID_TOPICS
    return "Invalid message"


def error_frame(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}
