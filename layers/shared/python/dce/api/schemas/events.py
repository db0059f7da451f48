"""Frames pushed to WebSocket clients: `{"id", "type", "ts", "data"}`.

Calls, auctions and bids inside `data` have exactly their REST shapes (the same schemas render both),
so a client parses one resource format whichever way it learns about a change.
"""

from __future__ import annotations

import json
from typing import Any

from dce.adapters.items import ts
from dce.api.schemas.auctions import AuctionOut, BidOut
from dce.api.schemas.calls import CallOut
from dce.domain.auctions import Auction, Bid
from dce.domain.calls import Call
from dce.domain.events import DomainEvent


def _render(value: object) -> Any:
    if isinstance(value, Call):
        return CallOut.of(value).model_dump(mode="json")
    if isinstance(value, Auction):
        return AuctionOut.of(value).model_dump(mode="json", exclude={"bids"})
    if isinstance(value, Bid):
        return BidOut.of(value).model_dump(mode="json")
    return value


def encode_event(event: DomainEvent) -> bytes:
    """The JSON frame of an event (UTF-8)."""
    data = {key: _render(value) for key, value in event.data.items()}
    return json.dumps({"id": event.id, "type": event.type, "ts": ts(event.ts), "data": data}).encode()
