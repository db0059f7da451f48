"""`Idempotency-Key` on POST: a retry with the same key and body gets the first response; the same
key with another body is 409 IDEMPOTENCY_CONFLICT. Built on Powertools idempotency (DynamoDB).

Keys are scoped to the caller (its account, else its client IP: dce.api.client_ip) and the route, so two
clients can't collide or read each other's responses. Only completed, non-5xx responses are remembered: a
failure can be retried. A replay carries `Idempotent-Replayed: true`.

The table never holds a secret: log-in and refresh ignore the header (`Route.idempotent`: each call issues
new tokens), and the one-time secrets of the routes that issue them (`Route.secret_fields`: the `api_key`
of sign-up, admin user creation and POST /api-keys) are remembered as null: the first caller gets the
secret, a replay gets the same status and body with `api_key: null`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from dce.adapters import aws
from dce.adapters.tables import IDEMPOTENCY
from dce.api.auth import principal_from_event
from dce.api.client_ip import client_ip
from dce.api.errors import json_text
from dce.api.routes import Route, find_route
from dce.domain.errors import DomainError, ValidationFailed

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

HEADER = "idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
REMEMBER_SECONDS = 24 * 3600


class IdempotencyConflict(DomainError):
    code = "IDEMPOTENCY_CONFLICT"
    default_message = "This Idempotency-Key was used with a different request"


class _ServerError(Exception):
    """Raised inside the idempotent call so Powertools forgets a 5xx (the client may retry it)."""

    def __init__(self, response: dict[str, Any]) -> None:
        super().__init__("server error")
        self.response = response


@lru_cache(maxsize=1)
def _persistence() -> DynamoDBPersistenceLayer:
    # Imported on first use: most requests carry no key, and this import costs ~150 ms of cold start.
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(table_name=aws.table_name(IDEMPOTENCY), boto3_client=aws.dynamodb_client())


def idempotency_key(event: Mapping[str, Any]) -> str | None:
    """The validated header value of a POST, or None when the request has none or its route ignores it."""
    if event.get("httpMethod") != "POST":
        return None
    route = find_route("POST", str(event.get("resource", "")))
    if route is not None and not route.idempotent:
        return None
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    key = headers.get(HEADER)
    if key is None:
        return None
    if not KEY_PATTERN.match(key):
        raise ValidationFailed("Invalid Idempotency-Key: 1 to 128 letters, digits or _ . : -")
    return key


def once(event: Mapping[str, Any], context: Any, key: str, respond: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run `respond` at most once per (caller, route, key); replay its response on a retry."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    principal = principal_from_event(event)
    who = principal.account_id if principal else client_ip(event)
    route = find_route("POST", str(event.get("resource", "")))
    fresh: list[dict[str, Any]] = []  # the response of this very call, secrets included: only the caller sees it
    request = {"key": f"{who}|{event.get('httpMethod')}|{event.get('path')}|{key}", "body": event.get("body") or ""}
    config = IdempotencyConfig(
        event_key_jmespath="key", payload_validation_jmespath="body", expires_after_seconds=REMEMBER_SECONDS
    )
    config.register_lambda_context(context)  # an in-progress record expires with the invocation

    @idempotent_function(data_keyword_argument="request", config=config, persistence_store=_persistence())
    def run(request: dict[str, Any]) -> dict[str, Any]:
        response = respond()
        if int(response.get("statusCode", 500)) >= 500:
            raise _ServerError(response)
        fresh.append(response)
        return without_secrets(response, route)  # what is stored, and what a replay answers

    try:
        result: dict[str, Any] = run(request=request)
        return fresh[0] if fresh else replayed(result)
    except _ServerError as failed:
        return failed.response
    except IdempotencyValidationError as exc:
        raise IdempotencyConflict() from exc
    except IdempotencyAlreadyInProgressError as exc:
        raise IdempotencyConflict("A request with this Idempotency-Key is still in progress") from exc


def without_secrets(response: dict[str, Any], route: Route | None) -> dict[str, Any]:
    """The response with the route's one-time secret fields (`Route.secret_fields`) set to null."""
    fields = route.secret_fields if route is not None else ()
    body = response.get("body")
    if not fields or not isinstance(body, str) or not body or response.get("isBase64Encoded"):
        return response
    try:
        parsed = json.loads(body)
    except ValueError:
        return response
    if not isinstance(parsed, dict) or not any(parsed.get(name) is not None for name in fields):
        return response
    return {**response, "body": json_text({**parsed, **dict.fromkeys(fields)})}


def replayed(response: dict[str, Any]) -> dict[str, Any]:
    """A remembered response as a replay answers it: marked `Idempotent-Replayed: true`."""
    result = dict(response)
    if isinstance(result.get("multiValueHeaders"), dict):
        result["multiValueHeaders"] = {**result["multiValueHeaders"], REPLAYED_HEADER: ["true"]}
    else:
        result["headers"] = {**(result.get("headers") or {}), REPLAYED_HEADER: "true"}
    return result


def reset() -> None:
    _persistence.cache_clear()
