"""Path and query parameters shared by the routers."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel

from dce.api.client_ip import client_ip as event_client_ip
from dce.api.pagination import MAX_CURSOR_LENGTH
from dce.api.schemas.common import next_link
from dce.bootstrap import services
from dce.domain.pages import MAX_LIMIT, Page
from dce.domain.principal import Principal

# `?limit=` and `?cursor=` of every list: declared on the route, so Powertools validates and documents them.
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")]
Cursor = Annotated[
    str | None, Query(max_length=MAX_CURSOR_LENGTH, description='Opaque cursor from the `Link: rel="next"` header')
]


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
