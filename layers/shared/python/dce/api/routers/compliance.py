"""HTTP shape of compliance. Rules live in dce.services.compliance and dce.domain.compliance; who
may call each route is in ROUTES (writes: admins; DNC status and TCPA hours: every role)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from dce.api.params import PhonePath, phone_in_path
from dce.api.schemas.common import error_docs
from dce.api.schemas.compliance import (
    REGION_PATTERN,
    DncImportIn,
    DncImportOut,
    DncIn,
    DncStatusOut,
    GeoRestrictionIn,
    GeoRestrictionOut,
    InvalidLineOut,
    TcpaHoursIn,
    TcpaHoursOut,
)
from dce.bootstrap import services
from dce.domain.compliance import DncList
from dce.services.compliance import DncStatus

router = Router()
JSON = content_types.APPLICATION_JSON
# A state ("CA") or a calling code ("44", "+44" or "%2B44") in the path.
RegionCode = Annotated[
    str,
    Path(description="A US state code (CA) or a calling code (44, +44)", json_schema_extra={"pattern": REGION_PATTERN}),
]
TAGS = ["compliance"]


@router.post("/compliance/dnc", tags=TAGS, responses=error_docs(400, 401, 403, success=(200, 201)))
def add_dnc(body: DncIn) -> Response[DncStatusOut]:
    entry, created = services().compliance.add_dnc(body.phone_number, body.reason, DncList(body.list), body.expires_at)
    return Response(201 if created else 200, JSON, DncStatusOut.of(DncStatus(entry.phone_number, entry)))


@router.post("/compliance/dnc/import", tags=TAGS, responses=error_docs(400, 401, 403, 413, 503))
def import_dnc(body: DncImportIn) -> DncImportOut:
    result = services().compliance.import_dnc(body.numbers, body.reason, DncList(body.list), body.expires_at)
    invalid = [InvalidLineOut.of(i) for i in result.invalid]
    return DncImportOut(imported=result.imported, invalid_count=result.invalid_count, invalid=invalid)


@router.get("/compliance/dnc/<phone>", tags=TAGS, responses=error_docs(400, 401))
def dnc_status(phone: PhonePath) -> DncStatusOut:
    return DncStatusOut.of(services().compliance.dnc_status(phone_in_path(phone)))


@router.delete("/compliance/dnc/<phone>", tags=TAGS, responses=error_docs(400, 401, 403, success=204))
def remove_dnc(phone: PhonePath) -> Response[None]:
    services().compliance.remove_dnc(phone_in_path(phone))
    return Response(204, JSON, None)


@router.put("/compliance/tcpa/hours", tags=TAGS, responses=error_docs(400, 401, 403))
def set_hours(body: TcpaHoursIn) -> TcpaHoursOut:
    return TcpaHoursOut.of(services().compliance.set_hours(body.start_time, body.end_time, body.timezone))


@router.get("/compliance/tcpa/hours", tags=TAGS, responses=error_docs(401))
def hours() -> TcpaHoursOut:
    return TcpaHoursOut.of(services().compliance.hours())


@router.post("/compliance/geographic/restrictions", tags=TAGS, responses=error_docs(400, 401, 403, success=201))
def restrict(body: GeoRestrictionIn) -> Response[GeoRestrictionOut]:
    rule = services().compliance.restrict(body.region(), body.restricted, body.reason)
    return Response(201, JSON, GeoRestrictionOut.of(rule))


@router.get("/compliance/geographic/restrictions", tags=TAGS, responses=error_docs(401, 403))
def restrictions() -> list[GeoRestrictionOut]:
    return [GeoRestrictionOut.of(r) for r in services().compliance.restrictions()]


@router.delete(
    "/compliance/geographic/restrictions/<state>", tags=TAGS, responses=error_docs(400, 401, 403, success=204)
)
def lift(state: RegionCode) -> Response[None]:
    services().compliance.lift(unquote(state))
    return Response(204, JSON, None)
