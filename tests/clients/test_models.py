"""The SDK's models and JSON: exact Decimal money, UUID ids, timezone-aware datetimes (no server)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import pytest

from dce_client import _json
from dce_client.models import Auction, Balance, Call, CallStatus, Event
from tests.clients.test_transport import CALL


def test_json_numbers_are_read_as_decimal_and_written_exactly():
    data = _json.loads(b'{"amount": 0.1, "n": 3, "big": 1000000.00}')
    assert data == {"amount": Decimal("0.1"), "n": 3, "big": Decimal("1000000.00")}
    assert _json.dumps({"amount": Decimal("22.10"), "ok": True, "none": None, "id": UUID(int=1)}) == (
        '{"amount":22.10,"ok":true,"none":null,"id":"00000000-0000-0000-0000-000000000001"}'
    )
    assert _json.dumps([Decimal("1E+2")]) == "[100]"
    with pytest.raises(TypeError):
        _json.dumps({"amount": 0.1})  # floats never reach the wire
    with pytest.raises(ValueError):
        _json.dumps(Decimal("NaN"))


def test_call_fields_are_typed():
    call = Call.model_validate(_json.loads(_json.dumps({**CALL, "cost": Decimal("88.0"), "duration": 240})))
    assert isinstance(call.id, UUID) and isinstance(call.buyer_id, UUID)
    assert isinstance(call.created_at, datetime) and call.created_at.utcoffset() is not None
    assert call.status is CallStatus.PENDING and call.status == "pending"
    assert call.cost == Decimal("88.00") and str(call.cost) == "88.00"  # money has cents


def test_money_from_the_wire_keeps_its_exact_value():
    balance = Balance.model_validate(
        _json.loads(b'{"balance": 912.0, "held": 0.1, "available": 0.10, "credit_limit": 0}')
    )
    assert balance.balance == Decimal("912.00") and balance.held == Decimal("0.10")
    assert all(isinstance(value, Decimal) for value in (balance.balance, balance.held, balance.available))


def test_unknown_fields_are_kept_and_models_are_immutable():
    call = Call.model_validate({**CALL, "attempts": [], "duplicate": False})
    assert call.model_extra == {"attempts": [], "duplicate": False}
    with pytest.raises(ValueError):
        call.status = CallStatus.QUEUED  # type: ignore[misc]


def test_event_views_parse_their_data():
    auction = {"id": CALL["id"], "call_id": CALL["id"], "buyer_id": CALL["buyer_id"], "status": "open",
               "reserve_price": 1.0, "billing_model": "per_minute", "min_duration": 0,
               "started_at": "2025-06-18T19:00:00Z", "ends_at": "2025-06-18T19:00:30Z", "bid_count": 0}  # fmt: skip
    event = Event.model_validate({"id": "e1", "type": "auction.opened", "ts": "2025-06-18T19:00:00Z",
                                  "data": {"auction": auction}})  # fmt: skip
    assert isinstance(event.auction, Auction) and event.auction.reserve_price == Decimal("1.00")
    assert event.call is None and event.bid is None and event.outcome is None
