"""Every operation of the API as data (method, path, body, how to read the answer), shared by the sync
and async clients: they only differ in how they send it. Names follow the OpenAPI operationIds."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from uuid import UUID

from pydantic import BaseModel

from dce_client.models import (
    Account,
    ApiKey,
    Auction,
    Balance,
    Bid,
    BidProfile,
    Call,
    Criteria,
    DncImportResult,
    DncStatus,
    GeoRestriction,
    Health,
    NewApiKey,
    TcpaHours,
    Tokens,
    Transaction,
)

Id = UUID | str
Amount = Decimal | int | str | float
"""Money as given by a caller; sent as an exact JSON number with at most 2 decimals."""


@dataclass(frozen=True)
class Operation[T]:
    method: str
    path: str
    parse: Callable[[Any], T]
    body: Any = None
    params: Mapping[str, str | int] = field(default_factory=dict)
    auth: bool = True
    # Whether a request whose answer was lost (broken connection, 5xx) may be sent again. POSTs carry an
    # Idempotency-Key, so the server replays instead of repeating them; a refresh token is single-use.
    replay_safe: bool = True


@dataclass(frozen=True)
class ListOperation[T]:
    """A paginated list: GET `path` with `params`, then the `Link: rel="next"` cursor until there is none."""

    path: str
    item: Callable[[Any], T]
    params: Mapping[str, str | int] = field(default_factory=dict)


def model[M: BaseModel](kind: type[M]) -> Callable[[Any], M]:
    return kind.model_validate


def models[M: BaseModel](kind: type[M]) -> Callable[[Any], list[M]]:
    return lambda data: [kind.model_validate(item) for item in data]


def nothing(_: Any) -> None:
    return None


def money(value: Amount) -> Decimal:
    """An exact amount: a float goes through its shortest text (0.1 → Decimal("0.1"))."""
    return value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else str(value))


def compact(**fields: Any) -> dict[str, Any]:
    """A JSON body without the fields left out (None): the server applies its defaults."""
    return {key: value for key, value in fields.items() if value is not None}


def _id(value: Id) -> str:
    return quote(str(value), safe="")


def _limit(limit: int | None) -> dict[str, str | int]:
    return {"limit": limit} if limit is not None else {}


# --- accounts and auth ----------------------------------------------------------------------------


def get_health() -> Operation[Health]:
    return Operation("GET", "/health", model(Health), auth=False)


def create_account(
    email: str, company_name: str, type: str, password: str | None, payment_info: Mapping[str, str] | None
) -> Operation[Account]:
    body = compact(email=email, company_name=company_name, type=type, password=password, payment_info=payment_info)
    return Operation("POST", "/accounts", model(Account), body, auth=False)


def log_in(email: str, password: str) -> Operation[Tokens]:
    return Operation("POST", "/auth/login", model(Tokens), {"email": email, "password": password}, auth=False)


def refresh_tokens(refresh_token: str) -> Operation[Tokens]:
    body = {"refresh_token": refresh_token}
    return Operation("POST", "/auth/refresh", model(Tokens), body, auth=False, replay_safe=False)


def get_profile() -> Operation[Account]:
    return Operation("GET", "/profile", model(Account))


def get_balance() -> Operation[Balance]:
    return Operation("GET", "/account/balance", model(Balance))


def list_transactions(limit: int | None) -> ListOperation[Transaction]:
    return ListOperation("/transactions", model(Transaction), _limit(limit))


def create_api_key(name: str | None) -> Operation[NewApiKey]:
    return Operation("POST", "/api-keys", model(NewApiKey), compact(name=name))


def list_api_keys() -> Operation[list[ApiKey]]:
    return Operation("GET", "/api-keys", models(ApiKey))


def revoke_api_key(key_id: Id) -> Operation[None]:
    return Operation("DELETE", f"/api-keys/{_id(key_id)}", nothing)


# --- calls ----------------------------------------------------------------------------------------


def create_call(
    from_number: str,
    to_number: str,
    direction: str | None,
    call_type: str | None,
    keywords: Sequence[str] | None,
    max_duration: int | None,
) -> Operation[Call]:
    body = compact(
        from_number=from_number,
        to_number=to_number,
        direction=direction,
        call_type=call_type,
        keywords=list(keywords) if keywords is not None else None,
        max_duration=max_duration,
    )
    return Operation("POST", "/calls", model(Call), body)


def list_calls(limit: int | None) -> ListOperation[Call]:
    return ListOperation("/calls", model(Call), _limit(limit))


def get_call(call_id: Id) -> Operation[Call]:
    return Operation("GET", f"/calls/{_id(call_id)}", model(Call))


def route_call(call_id: Id) -> Operation[Call]:
    return Operation("POST", f"/calls/{_id(call_id)}/route", model(Call), {})


def update_call_status(call_id: Id, status: str) -> Operation[Call]:
    # PATCH is not idempotent here (ringing → ringing is 400): never re-sent after a lost answer.
    body = {"status": str(status)}
    return Operation("PATCH", f"/calls/{_id(call_id)}/status", model(Call), body, replay_safe=False)


def complete_call(call_id: Id, duration: int) -> Operation[Call]:
    return Operation("POST", f"/calls/{_id(call_id)}/complete", model(Call), {"duration": duration})


# --- auctions and bids ----------------------------------------------------------------------------


def create_auction(
    call_id: Id,
    reserve_price: Amount | None,
    duration: int | None,
    billing_model: str | None,
    min_duration: int | None,
) -> Operation[Auction]:
    body = compact(
        call_id=str(call_id),
        reserve_price=money(reserve_price) if reserve_price is not None else None,
        duration=duration,
        billing_model=str(billing_model) if billing_model is not None else None,
        min_duration=min_duration,
    )
    return Operation("POST", "/auctions", model(Auction), body)


def list_auctions(limit: int | None) -> ListOperation[Auction]:
    return ListOperation("/auctions", model(Auction), _limit(limit))


def get_auction(auction_id: Id) -> Operation[Auction]:
    return Operation("GET", f"/auctions/{_id(auction_id)}", model(Auction))


def complete_auction(auction_id: Id) -> Operation[Auction]:
    return Operation("POST", f"/auctions/{_id(auction_id)}/complete", model(Auction), {})


def place_bid(auction_id: Id, amount: Amount) -> Operation[Bid]:
    return Operation("POST", "/bids", model(Bid), {"auction_id": str(auction_id), "amount": money(amount)})


def withdraw_bid(bid_id: Id) -> Operation[None]:
    return Operation("DELETE", f"/bids/{_id(bid_id)}", nothing)


def list_bids(auction_id: Id | None, limit: int | None) -> ListOperation[Bid]:
    params = {**_limit(limit), **({"auction_id": str(auction_id)} if auction_id is not None else {})}
    return ListOperation("/bids", model(Bid), params)


# --- bid profiles ---------------------------------------------------------------------------------

CriteriaLike = Criteria | Mapping[str, Any]


def _criteria(criteria: CriteriaLike | None, partial: bool) -> dict[str, Any] | None:
    if criteria is None:
        return None
    if isinstance(criteria, Criteria):
        # Only the fields the caller set: a PUT merges, so defaults must not overwrite the stored ones.
        return criteria.model_dump(mode="python", exclude_unset=partial, exclude_none=True)
    return dict(criteria)


def _auto_bid(amount: Amount | None) -> dict[str, Decimal] | None:
    return {"amount": money(amount)} if amount is not None else None


def create_bid_profile(criteria: CriteriaLike, auto_bid: Amount | None, active: bool | None) -> Operation[BidProfile]:
    body = compact(criteria=_criteria(criteria, partial=False), auto_bid=_auto_bid(auto_bid), active=active)
    return Operation("POST", "/bid-profiles", model(BidProfile), body)


def list_bid_profiles() -> Operation[list[BidProfile]]:
    return Operation("GET", "/bid-profiles", models(BidProfile))


def get_bid_profile(profile_id: Id) -> Operation[BidProfile]:
    return Operation("GET", f"/bid-profiles/{_id(profile_id)}", model(BidProfile))


def update_bid_profile(
    profile_id: Id, criteria: CriteriaLike | None, auto_bid: Amount | None, active: bool | None
) -> Operation[BidProfile]:
    body = compact(criteria=_criteria(criteria, partial=True), auto_bid=_auto_bid(auto_bid), active=active)
    return Operation("PUT", f"/bid-profiles/{_id(profile_id)}", model(BidProfile), body)


def delete_bid_profile(profile_id: Id) -> Operation[None]:
    return Operation("DELETE", f"/bid-profiles/{_id(profile_id)}", nothing)


# --- compliance -----------------------------------------------------------------------------------


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def add_dnc_number(phone: str, reason: str, dnc_list: str | None, expires_at: datetime | None) -> Operation[DncStatus]:
    body = compact(phone_number=phone, reason=reason, list=dnc_list, expires_at=_when(expires_at))
    return Operation("POST", "/compliance/dnc", model(DncStatus), body)


def get_dnc_status(phone: str) -> Operation[DncStatus]:
    return Operation("GET", f"/compliance/dnc/{quote(phone, safe='')}", model(DncStatus))


def remove_dnc_number(phone: str) -> Operation[None]:
    return Operation("DELETE", f"/compliance/dnc/{quote(phone, safe='')}", nothing)


def import_dnc_numbers(
    numbers: str, reason: str, dnc_list: str | None, expires_at: datetime | None
) -> Operation[DncImportResult]:
    body = compact(numbers=numbers, reason=reason, list=dnc_list, expires_at=_when(expires_at))
    return Operation("POST", "/compliance/dnc/import", model(DncImportResult), body)


def get_tcpa_hours() -> Operation[TcpaHours]:
    return Operation("GET", "/compliance/tcpa/hours", model(TcpaHours))


def set_tcpa_hours(start_time: str, end_time: str, timezone: str) -> Operation[TcpaHours]:
    body = {"start_time": start_time, "end_time": end_time, "timezone": timezone}
    return Operation("PUT", "/compliance/tcpa/hours", model(TcpaHours), body)


def list_geo_restrictions() -> Operation[list[GeoRestriction]]:
    return Operation("GET", "/compliance/geographic/restrictions", models(GeoRestriction))


def add_geo_restriction(
    state: str | None, country_code: int | None, restricted: bool | None, reason: str
) -> Operation[GeoRestriction]:
    body = compact(state=state, country_code=country_code, restricted=restricted, reason=reason)
    return Operation("POST", "/compliance/geographic/restrictions", model(GeoRestriction), body)


def remove_geo_restriction(region: str) -> Operation[None]:
    return Operation("DELETE", f"/compliance/geographic/restrictions/{quote(region, safe='')}", nothing)


# --- admin ----------------------------------------------------------------------------------------


def list_users(limit: int | None) -> ListOperation[Account]:
    return ListOperation("/admin/users", model(Account), _limit(limit))


def create_user(email: str, company_name: str, type: str, password: str | None) -> Operation[Account]:
    body = compact(email=email, company_name=company_name, type=type, password=password)
    return Operation("POST", "/admin/users", model(Account), body)


def credit_account(account_id: Id, amount: Amount, reason: str) -> Operation[Account]:
    body = {"amount": money(amount), "reason": reason}
    return Operation("POST", f"/admin/accounts/{_id(account_id)}/credit", model(Account), body)


def update_account(account_id: Id, credit_limit: Amount | None, status: str | None) -> Operation[Account]:
    body = compact(credit_limit=money(credit_limit) if credit_limit is not None else None, status=status)
    return Operation("PATCH", f"/admin/accounts/{_id(account_id)}", model(Account), body)
