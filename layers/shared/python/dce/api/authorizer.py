"""The Lambda authorizer's logic: Bearer JWT or X-API-Key → principal, or 401.

API Gateway turns the exception message "Unauthorized" into a 401 (our gateway response adds the
error shape); the local gateway does the same.
"""

from __future__ import annotations

from typing import Any

from dce.api.auth import authorizer_context
from dce.bootstrap import services
from dce.domain.errors import Unauthorized
from dce.domain.principal import Principal


class AuthorizerDenied(Exception):
    """Raised with the message API Gateway maps to 401."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


def _header(headers: dict[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def authenticate(headers: dict[str, Any] | None) -> Principal:
    """The principal for a request's headers; Unauthorized when there is none or it is invalid."""
    authorization = _header(headers, "authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Invalid authorization header")
        return services().tokens.verify_access(token.strip())
    api_key = _header(headers, "x-api-key")
    if api_key is not None:
        return services().api_keys.authenticate(api_key.strip())
    raise Unauthorized()


def policy_for(event: dict[str, Any]) -> dict[str, Any]:
    """An IAM policy allowing this API (all methods) for the authenticated principal."""
    try:
        principal = authenticate(event.get("headers"))
    except Unauthorized as exc:
        raise AuthorizerDenied() from exc
    arn_parts = str(event.get("methodArn", "")).split("/")
    api_arn = "/".join(arn_parts[:2]) + "/*/*" if len(arn_parts) >= 2 else "*"
    return {
        "principalId": principal.account_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": api_arn}],
        },
        "context": authorizer_context(principal),
    }
