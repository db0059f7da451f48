"""HTTP shape of bid profiles. Rules live in dce.services.bid_profiles and dce.domain.bid_profiles."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from dce.api.app import caller
from dce.api.ids import parse_uuid
from dce.api.params import UuidPath
from dce.api.schemas.bid_profiles import BidProfileOut, CreateProfileIn, UpdateProfileIn
from dce.api.schemas.common import error_docs
from dce.bootstrap import services
from dce.services.bid_profiles import ProfileInput

router = Router()
ProfileId = UuidPath


@router.post("/bid-profiles", tags=["bid-profiles"], responses=error_docs(400, 401, 403, success=201))
def create_profile(body: CreateProfileIn) -> Response[BidProfileOut]:
    new = ProfileInput(body.criteria.as_patch(), body.active, body.auto_bid.amount if body.auto_bid else None)
    profile = services().bid_profiles.create(caller(router), new)
    return Response(201, content_types.APPLICATION_JSON, BidProfileOut.of(profile))


@router.get("/bid-profiles", tags=["bid-profiles"], responses=error_docs(401, 403))
def list_profiles() -> list[BidProfileOut]:
    return [BidProfileOut.of(p) for p in services().bid_profiles.list(caller(router))]


@router.get("/bid-profiles/<id>", tags=["bid-profiles"], responses=error_docs(400, 401, 403, 404))
def get_profile(id: ProfileId) -> BidProfileOut:
    return BidProfileOut.of(services().bid_profiles.get(caller(router), parse_uuid(id)))


@router.put("/bid-profiles/<id>", tags=["bid-profiles"], responses=error_docs(400, 401, 403, 404))
def update_profile(id: ProfileId, body: UpdateProfileIn) -> BidProfileOut:
    change = ProfileInput(
        body.criteria.as_patch() if body.criteria else {},
        body.active,
        body.auto_bid.amount if body.auto_bid else None,
        auto_bid_given="auto_bid" in body.model_fields_set,
    )
    return BidProfileOut.of(services().bid_profiles.update(caller(router), parse_uuid(id), change))


@router.delete("/bid-profiles/<id>", tags=["bid-profiles"], responses=error_docs(400, 401, 403, 404, success=204))
def delete_profile(id: ProfileId) -> Response[None]:
    services().bid_profiles.delete(caller(router), parse_uuid(id))
    return Response(204, content_types.APPLICATION_JSON, None)
