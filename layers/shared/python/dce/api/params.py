"""Path and query parameters shared by the routers."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel

from dce.api.client_ip import client_ip as event_client_ip
from dce.api.pagination import CURSOR_PATTERN, MAX_CURSOR_LENGTH
from dce.api.schemas.common import E164_PATTERN, PHONE_DESCRIPTION, next_link
from dce.bootstrap import services
from dce.domain.errors import ValidationFailed
from dce.domain.pages import MAX_LIMIT, Page
from dce.domain.principal import Principal

# `?limit=` and `?cursor=` of every list: declared on the route, so Powertools validates and documents them.
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")]
Cursor = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR_LENGTH,
        description='Opaque cursor from the `Link: rel="next"` header, valid for this list and caller only',
        json_schema_extra={"pattern": CURSOR_PATTERN},
    ),
]
# An id in the path: documented as a UUID; the routers read it with `parse_uuid`, so anything else is 400
# INVALID_UUID (not a schema VALIDATION_ERROR).
UuidPath = Annotated[
    str, Path(description="A UUID; anything else is 400 INVALID_UUID", json_schema_extra={"format": "uuid"})
]
UuidQuery = Annotated[
    str | None, Query(description="A UUID; anything else is 400 INVALID_UUID", json_schema_extra={"format": "uuid"})
]
# A phone number in the path: E.164, its `+` plain or encoded (`%2B14155551234`); checked by `phone_in_path`.
PhonePath = Annotated[str, Path(description=PHONE_DESCRIPTION, json_schema_extra={"pattern": E164_PATTERN})]
_E164 = re.compile(E164_PATTERN)


def phone_in_path(raw: str) -> str:
    """The `{phone}` of a path, URL-decoded; 400 unless it is E.164 (what the document's pattern says)."""
    phone = unquote(raw)
    if not _E164.fullmatch(phone):
        raise ValidationFailed("Invalid phone number: expected E.164 format such as +14155551234")
    return phone


def page_start(router: Router, cursor: str | None) -> dict[str, Any] | None:
    """Where the page starts: the decoded `?cursor=`, valid only for this list and caller."""
    return services().cursors.decode(cursor, _cursor_scope(router))


def page_response(router: Router, limit: int, page: Page[Any], items: list[BaseModel]) -> Response[Any]:
    """A JSON array, newest first, with a `Link: rel="next"` header when there is more."""
    cursor = services().cursors.encode(page.next_key, _cursor_scope(router))
    return Response(
        200, content_types.APPLICATION_JSON, items, headers=next_link(router.current_event.path, limit, cursor)
    )


def _cursor_scope(router: Router) -> str:
    """A cursor is valid only for the list and the caller it was issued to."""
    principal = router.context.get("principal")
    account_id = principal.account_id if isinstance(principal, Principal) else ""
    return f"{router.current_event.path}|{account_id}"


def client_ip(router: Router) -> str | None:
    """The caller's address (dce.api.client_ip: API Gateway's `sourceIp`, X-Forwarded-For only from a trusted proxy)."""
    return event_client_ip(router.current_event.raw_event)
