"""Conversions between domain objects and DynamoDB items. Times are fixed-width RFC 3339 UTC strings,
so they sort lexically in time order."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from dce.adapters.tables import open_shard
from dce.domain.accounts import Account, ApiKey, CardOnFile, LedgerEntry, LedgerType, Role
from dce.domain.auctions import Auction, AuctionStatus, Bid, BidStatus, BillingModel, WinningBid
from dce.domain.calls import DEFAULT_MAX_DURATION, Attempt, Call, CallStatus, Direction
from dce.domain.controls import ExchangeControls, WeeklyHours
from dce.domain.phone import PhoneNumber


def ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _opt_ts(value: Any) -> datetime | None:
    return parse_ts(value) if value else None


def _drop_none(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v is not None}


def account_item(a: Account) -> dict[str, Any]:
    return _drop_none(
        {
            "id": a.id,
            "entity": "account",
            "email": a.email,
            "company_name": a.company_name,
            "role": a.role.value,
            "balance": a.balance,
            "created_at": ts(a.created_at),
            "updated_at": ts(a.updated_at),
            "version": a.version,
            "password_hash": a.password_hash,
            "card": {"brand": a.card.brand, "last4": a.card.last4, "expiry": a.card.expiry} if a.card else None,
            "status": a.status,
            "credit_limit": a.credit_limit,
            "held": a.held,
            "sessions_valid_after": ts(a.sessions_valid_after) if a.sessions_valid_after else None,
            **controls_attributes(a.controls),
        }
    )


# Exchange settings are top-level attributes of the account item, so a PUT that merges writes each field it
# names (SET or REMOVE) in one UpdateItem: two concurrent merges of different fields both stay.
CONTROL_ATTRIBUTES = {
    "max_concurrent_calls": "ctl_max_concurrent",
    "daily_cap": "ctl_daily_cap",
    "hours": "ctl_hours",
    "duplicate_window_days": "ctl_duplicate_window_days",
}


def controls_attributes(c: ExchangeControls) -> dict[str, Any]:
    """The item attributes of the settings (None: the attribute is removed, or never written)."""
    return {
        "ctl_max_concurrent": c.max_concurrent_calls,
        "ctl_daily_cap": c.daily_cap,
        "ctl_hours": c.hours.as_dict() if c.hours is not None else None,
        "ctl_duplicate_window_days": c.duplicate_window_days or None,
    }


def controls_from(item: dict[str, Any]) -> ExchangeControls:
    hours = item.get("ctl_hours")
    return ExchangeControls(
        max_concurrent_calls=int(item["ctl_max_concurrent"]) if "ctl_max_concurrent" in item else None,
        daily_cap=int(item["ctl_daily_cap"]) if "ctl_daily_cap" in item else None,
        hours=WeeklyHours.parse(hours["timezone"], hours["weekly"]) if hours else None,
        duplicate_window_days=int(item.get("ctl_duplicate_window_days", 0)),
    )


def account_from(item: dict[str, Any]) -> Account:
    card = item.get("card")
    return Account(
        id=item["id"],
        email=item["email"],
        company_name=item["company_name"],
        role=Role(item["role"]),
        balance=Decimal(item["balance"]),
        created_at=parse_ts(item["created_at"]),
        updated_at=parse_ts(item["updated_at"]),
        version=int(item["version"]),
        password_hash=item.get("password_hash"),
        card=CardOnFile(card["brand"], card["last4"], card.get("expiry")) if card else None,
        status=item.get("status", "active"),
        # Accounts written before credit limits and holds existed have neither attribute: both read as 0.
        credit_limit=Decimal(item.get("credit_limit", "0.00")),
        held=Decimal(item.get("held", "0.00")),
        sessions_valid_after=_opt_ts(item.get("sessions_valid_after")),
        controls=controls_from(item),
    )


def ledger_item(e: LedgerEntry) -> dict[str, Any]:
    return _drop_none(
        {
            "account_id": e.account_id,
            "entry_key": f"{ts(e.created_at)}#{e.id}",
            "id": e.id,
            "type": e.type.value,
            "amount": e.amount,
            "balance_after": e.balance_after,
            "created_at": ts(e.created_at),
            "call_id": e.call_id,
            "reason": e.reason,
        }
    )


def ledger_from(item: dict[str, Any]) -> LedgerEntry:
    return LedgerEntry(
        id=item["id"],
        account_id=item["account_id"],
        type=LedgerType(item["type"]),
        amount=Decimal(item["amount"]),
        balance_after=Decimal(item["balance_after"]),
        created_at=parse_ts(item["created_at"]),
        call_id=item.get("call_id"),
        reason=item.get("reason"),
    )


def api_key_item(k: ApiKey) -> dict[str, Any]:
    return _drop_none(
        {
            "id": k.id,
            "account_id": k.account_id,
            "role": k.role.value,
            "name": k.name,
            "secret_hash": k.secret_hash,
            "created_at": ts(k.created_at),
            "revoked": k.revoked,
        }
    )


def api_key_from(item: dict[str, Any]) -> ApiKey:
    return ApiKey(
        id=item["id"],
        account_id=item["account_id"],
        role=Role(item["role"]),
        name=item.get("name"),
        secret_hash=item["secret_hash"],
        created_at=parse_ts(item["created_at"]),
        revoked=bool(item.get("revoked", False)),
    )


def call_item(c: Call) -> dict[str, Any]:
    return _drop_none(
        {
            "id": c.id,
            "buyer_id": c.buyer_id,
            "from_number": c.from_number.e164,
            "from_cc": c.from_number.country_code,
            "to_number": c.to_number.e164,
            "to_cc": c.to_number.country_code,
            "direction": c.direction.value,
            "status": c.status.value,
            "created_at": ts(c.created_at),
            "updated_at": ts(c.updated_at),
            "call_type": c.call_type,
            "keywords": list(c.keywords) if c.keywords else None,
            "seller_id": c.seller_id,
            "auction_id": c.auction_id,
            "winning_bid_amount": c.winning_bid_amount,
            "start_time": ts(c.start_time) if c.start_time else None,
            "end_time": ts(c.end_time) if c.end_time else None,
            "duration": c.duration,
            "cost": c.cost,
            "billing_model": c.billing_model,
            "min_duration": c.min_duration,
            "max_duration": c.max_duration,
            "billed_duration": c.billed_duration,
            "hold": c.hold,
            "attempts": [_attempt_item(a) for a in c.attempts] or None,
            "duplicate": True if c.duplicate else None,
        }
    )


def _attempt_item(a: Attempt) -> dict[str, Any]:
    return _drop_none(
        {
            "seller_id": a.seller_id,
            "amount": a.amount,
            "at": ts(a.at),
            "outcome": a.outcome.value if a.outcome else None,
        }
    )


def _attempt(item: dict[str, Any]) -> Attempt:
    outcome = item.get("outcome")
    return Attempt(
        item["seller_id"], Decimal(item["amount"]), parse_ts(item["at"]), CallStatus(outcome) if outcome else None
    )


def call_from(item: dict[str, Any]) -> Call:
    return Call(
        id=item["id"],
        buyer_id=item["buyer_id"],
        from_number=PhoneNumber(item["from_number"], int(item["from_cc"])),
        to_number=PhoneNumber(item["to_number"], int(item["to_cc"])),
        direction=Direction(item["direction"]),
        status=CallStatus(item["status"]),
        created_at=parse_ts(item["created_at"]),
        updated_at=parse_ts(item["updated_at"]),
        call_type=item.get("call_type"),
        keywords=tuple(item.get("keywords") or ()),
        seller_id=item.get("seller_id"),
        auction_id=item.get("auction_id"),
        winning_bid_amount=Decimal(item["winning_bid_amount"]) if "winning_bid_amount" in item else None,
        start_time=_opt_ts(item.get("start_time")),
        end_time=_opt_ts(item.get("end_time")),
        duration=int(item["duration"]) if "duration" in item else None,
        cost=Decimal(item["cost"]) if "cost" in item else None,
        billing_model=item.get("billing_model"),
        min_duration=int(item["min_duration"]) if "min_duration" in item else None,
        # Calls written before max_duration existed read the default; before holds, they have none.
        max_duration=int(item.get("max_duration", DEFAULT_MAX_DURATION)),
        billed_duration=int(item["billed_duration"]) if "billed_duration" in item else None,
        hold=Decimal(item["hold"]) if "hold" in item else None,
        attempts=tuple(_attempt(a) for a in item.get("attempts") or ()),
        duplicate=bool(item.get("duplicate", False)),
    )


def auction_item(a: Auction) -> dict[str, Any]:
    winner = a.winning_bid
    return _drop_none(
        {
            "id": a.id,
            "call_id": a.call_id,
            "buyer_id": a.buyer_id,
            "status": a.status.value,
            "open_flag": open_shard(a.id) if a.is_open else None,
            "reserve_price": a.reserve_price,
            "billing_model": a.billing_model.value,
            "min_duration": a.min_duration,
            "started_at": ts(a.started_at),
            "ends_at": ts(a.ends_at),
            "bid_count": a.bid_count,
            "winning_bid": winning_bid_item(winner) if winner else None,
            "closed_at": ts(a.closed_at) if a.closed_at else None,
            "settled": a.settled,
            "ranking": [winning_bid_item(b) for b in a.ranking] if a.ranking is not None else None,
            "ranked": a.ranked if a.ranking is not None else None,
        }
    )


def winning_bid_item(bid: WinningBid) -> dict[str, Any]:
    return {"id": bid.id, "seller_id": bid.seller_id, "amount": bid.amount}


def _winning_bid(item: dict[str, Any]) -> WinningBid:
    return WinningBid(item["id"], item["seller_id"], Decimal(item["amount"]))


def auction_from(item: dict[str, Any]) -> Auction:
    winner = item.get("winning_bid")
    return Auction(
        id=item["id"],
        call_id=item["call_id"],
        buyer_id=item["buyer_id"],
        status=AuctionStatus(item["status"]),
        reserve_price=Decimal(item["reserve_price"]),
        billing_model=BillingModel(item["billing_model"]),
        min_duration=int(item["min_duration"]),
        started_at=parse_ts(item["started_at"]),
        ends_at=parse_ts(item["ends_at"]),
        bid_count=int(item.get("bid_count", 0)),
        winning_bid=_winning_bid(winner) if winner else None,
        closed_at=_opt_ts(item.get("closed_at")),
        settled=bool(item.get("settled", False)),
        ranking=tuple(_winning_bid(b) for b in item["ranking"]) if "ranking" in item else None,
        ranked=int(item.get("ranked", 0)),
    )


def bid_item(b: Bid) -> dict[str, Any]:
    return {
        "auction_id": b.auction_id,
        "seller_id": b.seller_id,
        "id": b.id,
        "amount": b.amount,
        "status": b.status.value,
        "placed_at": ts(b.placed_at),
    }


def bid_from(item: dict[str, Any]) -> Bid:
    return Bid(
        id=item["id"],
        auction_id=item["auction_id"],
        seller_id=item["seller_id"],
        amount=Decimal(item["amount"]),
        status=BidStatus(item["status"]),
        placed_at=parse_ts(item["placed_at"]),
    )
