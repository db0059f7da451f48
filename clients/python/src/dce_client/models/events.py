"""Events pushed over the WebSocket: `{"id", "type", "ts", "data"}`, with typed views of `data`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dce_client.models._base import Model
from dce_client.models.calls import Call
from dce_client.models.market import Auction, Bid


class Event(Model):
    id: str  # stable across redeliveries: drop ids already seen (the iterators do)
    type: str  # call.created, call.routed, call.status_changed, call.completed, auction.opened, bid.placed, ...
    ts: datetime
    data: dict[str, Any]

    @property
    def call(self) -> Call | None:
        raw = self.data.get("call")
        return Call.model_validate(raw) if isinstance(raw, dict) else None

    @property
    def auction(self) -> Auction | None:
        raw = self.data.get("auction")
        return Auction.model_validate(raw) if isinstance(raw, dict) else None

    @property
    def bid(self) -> Bid | None:
        raw = self.data.get("bid")
        return Bid.model_validate(raw) if isinstance(raw, dict) else None

    @property
    def outcome(self) -> str | None:
        """`won` or `lost` in a bidder's `auction.closed`."""
        value = self.data.get("outcome")
        return str(value) if value is not None else None
