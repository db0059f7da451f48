"""Ports: what the services need from the outside world. Adapters implement them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # annotations only: a function imports the domain modules its own code uses
    from collections.abc import Iterable, Sequence
    from datetime import datetime
    from decimal import Decimal

    from dce.domain.accounts import Account, ApiKey, LedgerEntry
    from dce.domain.auctions import Auction, Bid, WinningBid
    from dce.domain.bid_profiles import BidProfile
    from dce.domain.billing import MoneyMove
    from dce.domain.calls import Call, CallStatus
    from dce.domain.controls import BilledCaller, CapacityClaim, ExchangeControls
    from dce.domain.pages import Page


class Clock(Protocol):
    def now(self) -> datetime: ...


class IdGen(Protocol):
    def new_id(self) -> str: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...


class Counters(Protocol):
    """Counters by name shared by every instance (a fixed window is part of the name)."""

    def reserve(self, limits: dict[str, int], expires_at_epoch: int) -> bool:
        """Add one to every key, atomically and only if each is below its limit; False (nothing added) if not."""

    def release(self, keys: list[str]) -> None:
        """Take back one reservation of each key."""


class AccountRepo(Protocol):
    def create(self, account: Account, opening_credit: LedgerEntry | None) -> None:
        """Store a new account, its email claim and its opening credit atomically; EmailTaken if claimed."""

    def get(self, account_id: str) -> Account | None: ...

    def get_many(self, account_ids: Sequence[str]) -> dict[str, Account]:
        """The accounts with these ids (at most 100) in one read; ids without an account are left out."""

    def save_controls(self, account_id: str, changes: ExchangeControls, fields: frozenset[str]) -> Account | None:
        """Write the named exchange settings from `changes` (the others stay): None when there is no account."""

    def find_by_email(self, email: str) -> Account | None: ...
    def recent(self, limit: int, start: dict[str, Any] | None) -> Page[Account]: ...

    def save_settings(self, account: Account, changed: Account) -> Account:
        """Write `changed`'s credit limit and status if the account is still at `account.version` (Conflict if
        not); returns the account as stored."""

    def post_entry(self, account: Account, entry: LedgerEntry) -> Account:
        """Apply one ledger entry to the account at `account.version`; Conflict if it changed."""

    def ledger(self, account_id: str, limit: int, start: dict[str, Any] | None) -> Page[LedgerEntry]: ...


class ApiKeyRepo(Protocol):
    def put(self, key: ApiKey) -> None: ...
    def get(self, key_id: str) -> ApiKey | None: ...
    def list_for(self, account_id: str) -> list[ApiKey]: ...
    def revoke(self, key_id: str, account_id: str) -> bool: ...


class SessionRepo(Protocol):
    """Refresh-token families: one record per login, holding the only currently valid token id."""

    def start(
        self, family_id: str, account_id: str, token_id: str, expires_at: datetime, started_at: datetime
    ) -> None: ...

    def rotate(self, family_id: str, presented_id: str, new_id: str) -> datetime | None:
        """Swap the current token id when `presented_id` is current and the family is live: returns when the
        family started (its log-in), or None when nothing was swapped."""

    def revoke(self, family_id: str) -> None: ...


class CallRepo(Protocol):
    def put_new(self, call: Call) -> None: ...
    def get(self, call_id: str) -> Call | None: ...

    def list_for_buyer(self, buyer_id: str, limit: int, start: dict[str, Any] | None) -> Page[Call]: ...
    def list_for_seller(self, seller_id: str, limit: int, start: dict[str, Any] | None) -> Page[Call]: ...
    def list_all(self, limit: int, start: dict[str, Any] | None) -> Page[Call]: ...

    def save_transition(self, call: Call, expected: CallStatus) -> bool:
        """Write `call` only if its stored status is still `expected`; False when another write won."""


class AuctionRepo(Protocol):
    def create_for_call(self, auction: Auction) -> None:
        """Store the auction and claim its pending call atomically; AuctionExists if it has one."""

    def get(self, auction_id: str) -> Auction | None: ...
    def list_open(self, limit: int, start: dict[str, Any] | None) -> Page[Auction]: ...
    def mark_closed(self, auction_id: str, now: datetime, only_if_ended: bool) -> bool: ...
    def record_winner(self, auction: Auction, ranking: tuple[WinningBid, ...], ranked: int) -> Auction:
        """Record the result once: the winner is `ranking[0]` (none when empty), the ranking kept for routing.
        A second closer finds it set and gets the stored auction."""

    def bids(self, auction_id: str) -> list[Bid]: ...
    def settle_bids(self, bids: list[Bid], winner: WinningBid | None) -> None: ...
    def place_bid(self, bid: Bid, ends_at: datetime, now: datetime, limit_key: str, limit: int) -> None: ...
    def find_bid(self, bid_id: str) -> Bid | None: ...
    def withdraw(self, bid: Bid) -> None: ...
    def bids_by_seller(self, seller_id: str, limit: int, start: dict[str, Any] | None) -> Page[Bid]: ...


class BillingRepo(Protocol):
    def commit(
        self,
        call: Call,
        expected: CallStatus,
        moves: Sequence[MoneyMove],
        entries: Sequence[LedgerEntry],
        claim: CapacityClaim | None = None,
        release: str | None = None,
        billed: BilledCaller | None = None,
    ) -> None:
        """In one transaction: write `call` if its stored status is still `expected` (InvalidState if not), each
        move's balance and held if its account is still at the version read (Conflict if not), and the ledger
        entries. Routing with its hold, completion with its bill and an end with its release all go here.
        `claim` takes one of the seller's concurrent and daily calls within its caps (SellerAtCapacity if not),
        `release` gives that seller's concurrent call back, `billed` remembers a billed caller (Conflict when a
        racing completion billed the same caller within the window)."""

    def parties(self, call: Call, with_billed_caller: bool) -> tuple[dict[str, Account], datetime | None]:
        """The call's buyer and seller accounts by id, and (when asked) when the call's caller last billed its
        buyer for its seller, in one read."""


class Capacity(Protocol):
    def usage(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int]]:
        """(calls in flight, calls routed that day) of each (seller, day)."""


class BidProfileRepo(Protocol):
    def put(self, profile: BidProfile) -> None: ...
    def get(self, profile_id: str) -> BidProfile | None: ...
    def for_seller(self, seller_id: str) -> list[BidProfile]: ...
    def active(self) -> list[BidProfile]: ...
    def delete(self, profile_id: str, seller_id: str) -> bool: ...


class BusinessMetrics(Protocol):
    """Business events, each counted exactly once where its outcome is decided (the adapter publishes them)."""

    def call_created(self) -> None: ...
    def bid_placed(self) -> None: ...

    def auction_closed(self) -> None:
        """An auction went open → completed (by whichever of timer, complete or route got there first)."""

    def call_billed(self, charge: Decimal) -> None:
        """A completed call charged its buyer `charge` (> 0) and paid its seller, in one transaction."""


class Uncounted:
    """BusinessMetrics that count nothing: the default of services built without metrics (tests, scripts)."""

    def call_created(self) -> None:
        pass

    def bid_placed(self) -> None:
        pass

    def auction_closed(self) -> None:
        pass

    def call_billed(self, charge: Decimal) -> None:
        pass
