"""Path and query parameters shared by the routers."""

from __future__ import annotations

import uuid
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel

from dce.api.pagination import parse_limit
from dce.api.schemas.common import next_link
from dce.bootstrap import services
from dce.domain.errors import InvalidUuid
from dce.domain.pages import Page
from dce.domain.principal import Principal


def parse_uuid(raw: str) -> str:
    """A path id must be a UUID (400 INVALID_UUID otherwise); returned in canonical form."""
    try:
        return str(uuid.UUID(raw))
    except (ValueError, AttributeError, TypeError) as exc:
        raise InvalidUuid() from exc


def page_request(router: Router) -> tuple[int, dict[str, Any] | None]:
    """`?limit=` and `?cursor=` of the current request, validated."""
    event = router.current_event
    limit = parse_limit(event.get_query_string_value("limit"))
    return limit, services().cursors.decode(event.get_query_string_value("cursor"), _cursor_scope(router))


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
