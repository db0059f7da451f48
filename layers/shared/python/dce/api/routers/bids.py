"""HTTP shape of bids. Rules live in dce.services.bids and dce.domain.auctions."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from dce.api.app import caller
from dce.api.ids import parse_uuid
from dce.api.params import Cursor, Limit, UuidPath, UuidQuery, page_response, page_start
from dce.api.schemas.auctions import BidOut, PlaceBidIn
from dce.api.schemas.common import error_docs
from dce.bootstrap import services
from dce.domain.pages import DEFAULT_LIMIT

router = Router()


@router.post("/bids", tags=["bids"], responses=error_docs(400, 401, 403, 404, 409, success=201))
def place_bid(body: PlaceBidIn) -> Response[BidOut]:
    bid = services().bids.place(caller(router), parse_uuid(body.auction_id), body.amount)
    return Response(201, content_types.APPLICATION_JSON, BidOut.of(bid))


@router.get("/bids", tags=["bids"], responses=error_docs(400, 401, 403, 404))
def list_bids(
    auction_id: UuidQuery = None, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response[list[BidOut]]:
    auction = parse_uuid(auction_id) if auction_id is not None else None  # `?auction_id=` is no UUID either
    page = services().bids.list(caller(router), auction, limit, page_start(router, cursor))
    return page_response(router, limit, page, [BidOut.of(b) for b in page.items])


@router.delete("/bids/<id>", tags=["bids"], responses=error_docs(400, 401, 403, 404, 409, success=204))
def withdraw_bid(id: UuidPath) -> Response[None]:
    services().bids.withdraw(caller(router), parse_uuid(id))
    return Response(204, content_types.APPLICATION_JSON, None)
