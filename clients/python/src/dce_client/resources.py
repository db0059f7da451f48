"""Resource groups of the synchronous `Client`: `client.calls.create(...)`, `client.bids.place(...)`, ..."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from dce_client import _dnc, _ops
from dce_client._ops import Amount, CriteriaLike, Id
from dce_client._sync import SyncTransport
from dce_client.models import (
    Account,
    ApiKey,
    Auction,
    Balance,
    Bid,
    BidProfile,
    Call,
    DncImportResult,
    DncStatus,
    GeoRestriction,
    NewApiKey,
    TcpaHours,
    Transaction,
)
from dce_client.pagination import Paginator


class Resource:
    def __init__(self, transport: SyncTransport) -> None:
        self._t = transport

    def _list[T](self, operation: _ops.ListOperation[T]) -> Paginator[T]:
        return Paginator(self._t.fetch, operation)


class Accounts(Resource):
    def sign_up(
        self,
        email: str,
        company_name: str,
        type: str,
        password: str | None = None,
        payment_info: Mapping[str, str] | None = None,
    ) -> Account:
        """POST /accounts (no auth). Without a password the answer carries a one-time `api_key`."""
        return self._t.call(_ops.create_account(email, company_name, str(type), password, payment_info))


class AccountSelf(Resource):
    def profile(self) -> Account:
        return self._t.call(_ops.get_profile())

    def balance(self) -> Balance:
        return self._t.call(_ops.get_balance())

    def transactions(self, limit: int | None = None) -> Paginator[Transaction]:
        return self._list(_ops.list_transactions(limit))


class ApiKeys(Resource):
    def create(self, name: str | None = None) -> NewApiKey:
        return self._t.call(_ops.create_api_key(name))

    def list(self) -> list[ApiKey]:
        return self._t.call(_ops.list_api_keys())

    def revoke(self, key_id: Id) -> None:
        self._t.call(_ops.revoke_api_key(key_id))


class Calls(Resource):
    def create(
        self,
        from_number: str,
        to_number: str,
        *,
        direction: str | None = None,
        call_type: str | None = None,
        keywords: Sequence[str] | None = None,
        max_duration: int | None = None,
    ) -> Call:
        return self._t.call(_ops.create_call(from_number, to_number, direction, call_type, keywords, max_duration))

    def list(self, limit: int | None = None) -> Paginator[Call]:
        return self._list(_ops.list_calls(limit))

    def get(self, call_id: Id) -> Call:
        return self._t.call(_ops.get_call(call_id))

    def route(self, call_id: Id) -> Call:
        """Route a pending call to its auction's winner (closing the auction first if it is open)."""
        return self._t.call(_ops.route_call(call_id))

    def update_status(self, call_id: Id, status: str) -> Call:
        return self._t.call(_ops.update_call_status(call_id, status))

    def complete(self, call_id: Id, duration: int) -> Call:
        return self._t.call(_ops.complete_call(call_id, duration))


class Auctions(Resource):
    def create(
        self,
        call_id: Id,
        *,
        reserve_price: Amount | None = None,
        duration: int | None = None,
        billing_model: str | None = None,
        min_duration: int | None = None,
    ) -> Auction:
        return self._t.call(_ops.create_auction(call_id, reserve_price, duration, billing_model, min_duration))

    def list(self, limit: int | None = None) -> Paginator[Auction]:
        """The open auctions, closing soonest first."""
        return self._list(_ops.list_auctions(limit))

    def get(self, auction_id: Id) -> Auction:
        return self._t.call(_ops.get_auction(auction_id))

    def complete(self, auction_id: Id) -> Auction:
        return self._t.call(_ops.complete_auction(auction_id))


class Bids(Resource):
    def place(self, auction_id: Id, amount: Amount) -> Bid:
        return self._t.call(_ops.place_bid(auction_id, amount))

    def withdraw(self, bid_id: Id) -> None:
        self._t.call(_ops.withdraw_bid(bid_id))

    def list(self, auction_id: Id | None = None, limit: int | None = None) -> Paginator[Bid]:
        return self._list(_ops.list_bids(auction_id, limit))


class BidProfiles(Resource):
    def create(
        self, criteria: CriteriaLike, *, auto_bid: Amount | None = None, active: bool | None = None
    ) -> BidProfile:
        return self._t.call(_ops.create_bid_profile(criteria, auto_bid, active))

    def list(self) -> list[BidProfile]:
        return self._t.call(_ops.list_bid_profiles())

    def get(self, profile_id: Id) -> BidProfile:
        return self._t.call(_ops.get_bid_profile(profile_id))

    def update(
        self,
        profile_id: Id,
        *,
        criteria: CriteriaLike | None = None,
        auto_bid: Amount | None = None,
        active: bool | None = None,
    ) -> BidProfile:
        """PUT merges: only the criteria fields given change."""
        return self._t.call(_ops.update_bid_profile(profile_id, criteria, auto_bid, active))

    def delete(self, profile_id: Id) -> None:
        self._t.call(_ops.delete_bid_profile(profile_id))


class Compliance(Resource):
    def add_dnc(
        self, phone_number: str, reason: str, *, list: str | None = None, expires_at: datetime | None = None
    ) -> DncStatus:
        return self._t.call(_ops.add_dnc_number(phone_number, reason, list, expires_at))

    def check_dnc(self, phone_number: str) -> DncStatus:
        return self._t.call(_ops.get_dnc_status(phone_number))

    def remove_dnc(self, phone_number: str) -> None:
        self._t.call(_ops.remove_dnc_number(phone_number))

    def import_dnc(
        self,
        numbers: str | Iterable[str],
        reason: str,
        *,
        list: str | None = None,
        expires_at: datetime | None = None,
        chunk_lines: int = _dnc.CHUNK_LINES,
        on_progress: _dnc.Progress | None = None,
    ) -> DncImportResult:
        """Bulk import (newline/comma separated), sent in chunks; `on_progress(lines_done, lines_total)`."""
        lines = _dnc.split_lines(numbers)
        parts = []
        for chunk in _dnc.chunks(lines, chunk_lines):
            if not chunk.blank:
                parts.append((chunk, self._t.call(_ops.import_dnc_numbers(chunk.text, reason, list, expires_at))))
            if on_progress is not None:
                on_progress(chunk.first_line + chunk.lines, len(lines))
        return _dnc.merge(parts)

    def tcpa_hours(self) -> TcpaHours:
        return self._t.call(_ops.get_tcpa_hours())

    def set_tcpa_hours(self, start_time: str, end_time: str, timezone: str) -> TcpaHours:
        return self._t.call(_ops.set_tcpa_hours(start_time, end_time, timezone))

    def geo_restrictions(self) -> list[GeoRestriction]:
        return self._t.call(_ops.list_geo_restrictions())

    def restrict(
        self,
        *,
        reason: str,
        state: str | None = None,
        country_code: int | None = None,
        restricted: bool | None = None,
    ) -> GeoRestriction:
        return self._t.call(_ops.add_geo_restriction(state, country_code, restricted, reason))

    def lift_restriction(self, region: str) -> None:
        self._t.call(_ops.remove_geo_restriction(region))


class Admin(Resource):
    def users(self, limit: int | None = None) -> Paginator[Account]:
        return self._list(_ops.list_users(limit))

    def create_user(self, email: str, company_name: str, type: str, password: str | None = None) -> Account:
        return self._t.call(_ops.create_user(email, company_name, str(type), password))

    def credit(self, account_id: Id, amount: Amount, reason: str) -> Account:
        return self._t.call(_ops.credit_account(account_id, amount, reason))

    def update_account(
        self, account_id: Id, *, credit_limit: Amount | None = None, status: str | None = None
    ) -> Account:
        return self._t.call(_ops.update_account(account_id, credit_limit, status))
