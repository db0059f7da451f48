"""HTTP shape of calls. Rules live in dce.services.calls and dce.domain.calls."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from dce.api.app import caller
from dce.api.ids import parse_uuid
from dce.api.params import Cursor, Limit, UuidPath, page_response, page_start
from dce.api.schemas.calls import CallOut, CompleteCallIn, CreateCallIn, StatusIn
from dce.api.schemas.common import error_docs
from dce.bootstrap import services
from dce.domain.calls import Direction
from dce.domain.pages import DEFAULT_LIMIT
from dce.services.calls import NewCall

router = Router()
CallId = UuidPath


@router.post("/calls", tags=["calls"], responses=error_docs(400, 401, 402, 403, 503, success=201))
def create_call(body: CreateCallIn) -> Response[CallOut]:
    new = NewCall(
        body.from_number,
        body.to_number,
        Direction(body.direction),
        body.call_type,
        tuple(body.keywords or ()),
        body.max_duration,
    )
    call = services().calls.create(caller(router), new)
    return Response(201, content_types.APPLICATION_JSON, CallOut.of(call))


@router.get("/calls", tags=["calls"], responses=error_docs(400, 401))
def list_calls(limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response[list[CallOut]]:
    page = services().calls.visible_to(caller(router), limit, page_start(router, cursor))
    return page_response(router, limit, page, [CallOut.of(c) for c in page.items])


@router.get("/calls/<id>", tags=["calls"], responses=error_docs(400, 401, 404))
def get_call(id: CallId) -> CallOut:
    return CallOut.of(services().calls.get(caller(router), parse_uuid(id)))


@router.patch("/calls/<id>/status", tags=["calls"], responses=error_docs(400, 401, 403, 404, 409))
def change_status(id: CallId, body: StatusIn) -> CallOut:
    return CallOut.of(services().calls.change_status(caller(router), parse_uuid(id), body.status))


@router.post("/calls/<id>/route", tags=["calls"], responses=error_docs(400, 401, 402, 403, 404, 409))
def route_call(id: CallId) -> CallOut:
    return CallOut.of(services().calls.route(caller(router), parse_uuid(id)))


@router.post("/calls/<id>/complete", tags=["calls"], responses=error_docs(400, 401, 403, 404, 409))
def complete_call(id: CallId, body: CompleteCallIn) -> CallOut:
    return CallOut.of(services().calls.complete(caller(router), parse_uuid(id), body.duration))
