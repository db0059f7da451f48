"""HTTP shape of auctions. Rules live in dce.services.auctions and dce.domain.auctions."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from dce.api.app import caller
from dce.api.ids import parse_uuid
from dce.api.params import Cursor, Limit, UuidPath, page_response, page_start
from dce.api.schemas.auctions import AuctionOut, CreateAuctionIn
from dce.api.schemas.common import error_docs
from dce.bootstrap import services
from dce.domain.auctions import BillingModel
from dce.domain.pages import DEFAULT_LIMIT
from dce.services.auctions import NewAuction

router = Router()
AuctionId = UuidPath


@router.post("/auctions", tags=["auctions"], responses=error_docs(400, 401, 403, 404, 409, success=201))
def open_auction(body: CreateAuctionIn) -> Response[AuctionOut]:
    new = NewAuction(
        parse_uuid(body.call_id), body.reserve_price, body.duration, BillingModel(body.billing_model), body.min_duration
    )
    auction = services().auctions.open(caller(router), new)
    return Response(201, content_types.APPLICATION_JSON, AuctionOut.of(auction, bids=[]))


@router.get("/auctions", tags=["auctions"], responses=error_docs(400, 401))
def list_open_auctions(limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response[list[AuctionOut]]:
    page = services().auctions.list_open(caller(router), limit, page_start(router, cursor))
    return page_response(router, limit, page, [AuctionOut.of(a) for a in page.items])


@router.get("/auctions/<id>", tags=["auctions"], responses=error_docs(400, 401, 404))
def get_auction(id: AuctionId) -> AuctionOut:
    return AuctionOut.view(services().auctions.view(caller(router), parse_uuid(id)))


@router.post("/auctions/<id>/complete", tags=["auctions"], responses=error_docs(400, 401, 403, 404))
def complete_auction(id: AuctionId) -> AuctionOut:
    auction = services().auctions.complete(caller(router), parse_uuid(id))
    return AuctionOut.view(services().auctions.view(caller(router), auction.id))
