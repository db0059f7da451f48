"""HTTP shape of bids. Rules live in dce.services.bids and dce.domain.auctions."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from dce.api.app import caller
from dce.api.params import page_request, page_response, parse_uuid
from dce.api.schemas.auctions import BidOut, PlaceBidIn
from dce.api.schemas.common import error_docs
from dce.bootstrap import services

router = Router()


@router.post("/bids", tags=["bids"], responses=error_docs(400, 401, 403, 404, 409))
def place_bid(body: PlaceBidIn) -> Response[BidOut]:
    bid = services().bids.place(caller(router), parse_uuid(body.auction_id), body.amount)
    return Response(201, content_types.APPLICATION_JSON, BidOut.of(bid))


@router.get("/bids", tags=["bids"], responses=error_docs(400, 401, 403, 404))
def list_bids() -> Response[list[BidOut]]:
    limit, start = page_request(router)
    raw_auction = router.current_event.get_query_string_value("auction_id")
    auction_id = parse_uuid(raw_auction) if raw_auction else None
    page = services().bids.list(caller(router), auction_id, limit, start)
    return page_response(router, limit, page, [BidOut.of(b) for b in page.items])


@router.delete("/bids/<id>", tags=["bids"], responses=error_docs(400, 401, 403, 404, 409))
def withdraw_bid(id: Annotated[str, Path(max_length=64)]) -> Response[None]:
    services().bids.withdraw(caller(router), parse_uuid(id))
    return Response(204, content_types.APPLICATION_JSON, None)
