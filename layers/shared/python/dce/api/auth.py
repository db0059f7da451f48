"""The caller of a request, as the authorizer established it (API Gateway `requestContext.authorizer`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dce.domain.accounts import AccountStatus, Role
from dce.domain.errors import AccountSuspended, Forbidden, Unauthorized
from dce.domain.principal import Principal

AUTH_CONTEXT_KEYS = ("account_id", "role", "account_status")


def _context(event: Mapping[str, Any]) -> Mapping[str, Any]:
    return (event.get("requestContext") or {}).get("authorizer") or {}


def principal_from_event(event: Mapping[str, Any]) -> Principal | None:
    """Whose request it is (whatever the account's status: the rate limit charges its bucket either way)."""
    context = _context(event)
    account_id, role = context.get("account_id"), context.get("role")
    if not account_id or role not in Role.__members__.values():
        return None
    return Principal(account_id=str(account_id), role=Role(str(role)))


def authenticated(event: Mapping[str, Any]) -> Principal | None:
    """The caller of an authenticated request; AccountSuspended (401) when its account is suspended.

    The authorizer allows a suspended account's valid credential and says so in its context, because a
    Lambda authorizer can only answer Allow, Deny (403) or Unauthorized (401 UNAUTHORIZED): the contract's
    401 ACCOUNT_SUSPENDED is answered here, by every function's edge checks. A context without a status
    (not from our authorizer) is no caller at all: 401 UNAUTHORIZED."""
    principal = principal_from_event(event)
    if principal is None:
        return None
    status = _context(event).get("account_status")
    if status == AccountStatus.SUSPENDED:
        raise AccountSuspended()
    if status != AccountStatus.ACTIVE:
        raise Unauthorized()
    return principal


def require(principal: Principal | None, roles: tuple[Role, ...]) -> Principal:
    if principal is None:
        raise Unauthorized()
    if principal.role not in roles:
        raise Forbidden()
    return principal


def authorizer_context(principal: Principal, status: AccountStatus = AccountStatus.ACTIVE) -> dict[str, str]:
    """What the authorizer hands to API Gateway (string values only, as AWS requires)."""
    return {"account_id": principal.account_id, "role": principal.role.value, "account_status": status.value}
