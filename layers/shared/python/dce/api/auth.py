"""The caller of a request, as the authorizer established it (API Gateway `requestContext.authorizer`)."""

from __future__ import annotations

from typing import Any

from dce.domain.accounts import Role
from dce.domain.errors import Forbidden, Unauthorized
from dce.domain.principal import Principal

AUTH_CONTEXT_KEYS = ("account_id", "role")


def principal_from_event(event: dict[str, Any]) -> Principal | None:
    context = (event.get("requestContext") or {}).get("authorizer") or {}
    account_id, role = context.get("account_id"), context.get("role")
    if not account_id or role not in Role.__members__.values():
        return None
    return Principal(account_id=str(account_id), role=Role(str(role)))


def require(principal: Principal | None, roles: tuple[Role, ...]) -> Principal:
    if principal is None:
        raise Unauthorized()
    if principal.role not in roles:
        raise Forbidden()
    return principal


def authorizer_context(principal: Principal) -> dict[str, str]:
    """What the authorizer hands to API Gateway (string values only, as AWS requires)."""
    return {"account_id": principal.account_id, "role": principal.role.value}
