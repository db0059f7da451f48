"""Shared schema pieces: money on the wire, the error shape, pagination links."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, PlainSerializer

from dce.adapters.items import ts

if TYPE_CHECKING:  # the events function renders these schemas without loading Powertools' resolver
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

# Money is a JSON number with at most 2 decimals. float() of a 2-place Decimal prints the exact
# shortest representation (88.1, 1000.0), so no precision is lost on the wire.
MoneyOut = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
Timestamp = Annotated[datetime, PlainSerializer(ts, return_type=str, when_used="json")]


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    request_id: str
    details: list[ErrorDetail] | None = None


class ErrorOut(BaseModel):
    error: ErrorBody


SUCCESS_DESCRIPTIONS = {200: "OK", 201: "Created", 204: "No content"}


def error_docs(*statuses: int, success: int | tuple[int, ...] = 200) -> dict[int, OpenAPIResponse]:
    """OpenAPI `responses=` entries: the route's success status(es), documented with its return type, and
    the error statuses it can answer. (Given `responses=`, Powertools documents no other status.)"""
    docs: dict[int, OpenAPIResponse] = {}
    for status in (success,) if isinstance(success, int) else success:
        docs[status] = {"description": SUCCESS_DESCRIPTIONS.get(status, "OK")}
        if status == 204:
            docs[status]["content"] = {}  # no body: keeps Powertools from documenting one
    for status in statuses:
        docs[status] = {"description": "Error", "content": {"application/json": {"model": ErrorOut}}}
    return docs


def next_link(path: str, limit: int, cursor: str | None) -> dict[str, str]:
    if not cursor:
        return {}
    return {"Link": f'<{path}?limit={limit}&cursor={cursor}>; rel="next"'}
