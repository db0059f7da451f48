"""The Lambda authorizer's logic: Bearer JWT or X-API-Key → principal and account status, or 401.

API Gateway turns the exception message "Unauthorized" into a 401 (our gateway response adds the
error shape); the local gateway does the same.

Every request reads the caller's account (status and session cut-off, one GetItem): a suspended account's
valid credential is allowed with `account_status: suspended` in the context, and the function's edge checks
answer 401 ACCOUNT_SUSPENDED (dce.api.auth.authenticated) — an authorizer cannot choose the error code
itself: it can only Allow, Deny (403 ACCESS_DENIED) or fail with "Unauthorized" (401 UNAUTHORIZED).
"""

from __future__ import annotations

from typing import Any

from dce.api.auth import authorizer_context
from dce.bootstrap import services
from dce.domain.accounts import AccountStatus
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


def authenticate(headers: dict[str, Any] | None) -> tuple[Principal, AccountStatus]:
    """The principal for a request's headers and its account's status; Unauthorized when there is none, it
    is invalid, its account is gone, or it is an access token issued before the account's last suspension."""
    authorization = _header(headers, "authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Invalid authorization header")
        claims = services().tokens.verify_access_claims(token.strip())
        return claims.principal, services().standing.check(claims.principal, claims.issued_at)
    api_key = _header(headers, "x-api-key")
    if api_key is not None:
        principal = services().api_keys.authenticate(api_key.strip())
        return principal, services().standing.check(principal)
    raise Unauthorized()


def policy_for(event: dict[str, Any]) -> dict[str, Any]:
    """An IAM policy allowing this API (all methods) for the authenticated principal."""
    try:
        principal, status = authenticate(event.get("headers"))
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
        "context": authorizer_context(principal, status),
    }
