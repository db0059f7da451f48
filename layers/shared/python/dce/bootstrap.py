"""Wires adapters into services, once per process. Tests call `reset()` or build their own."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from dce.adapters.accounts_repo import DynamoAccountRepo
from dce.adapters.api_keys_repo import DynamoApiKeyRepo
from dce.adapters.auction_timer import StepFunctionsTimer
from dce.adapters.auctions_repo import DynamoAuctionRepo
from dce.adapters.bid_profiles_repo import DynamoBidProfileRepo
from dce.adapters.billing_repo import DynamoBillingRepo
from dce.adapters.calls_repo import DynamoCallRepo
from dce.adapters.passwords import Argon2Hasher
from dce.adapters.secrets import jwt_secret
from dce.adapters.sessions_repo import DynamoSessionRepo
from dce.adapters.system import SystemClock, UuidGen
from dce.api.pagination import CursorCodec
from dce.config import settings
from dce.ports import Clock, IdGen
from dce.services.accounts import AccountService
from dce.services.api_keys import ApiKeyService
from dce.services.auctions import AuctionService
from dce.services.auth import AuthService
from dce.services.bid_profiles import BidProfileService
from dce.services.bids import BidService
from dce.services.calls import CallService
from dce.services.tokens import TokenCodec


@dataclass(frozen=True, slots=True)
class Services:
    accounts: AccountService
    api_keys: ApiKeyService
    auth: AuthService
    calls: CallService
    auctions: AuctionService
    bids: BidService
    bid_profiles: BidProfileService
    tokens: TokenCodec
    cursors: CursorCodec


def build(clock: Clock | None = None, ids: IdGen | None = None) -> Services:
    config = settings()
    clock = clock or SystemClock()
    ids = ids or UuidGen()
    account_repo = DynamoAccountRepo()
    hasher = Argon2Hasher(config.password_time_cost, config.password_memory_kib)
    secret = jwt_secret(config)
    codec = TokenCodec(secret, config.access_ttl_seconds, config.refresh_ttl_seconds)
    api_keys = ApiKeyService(DynamoApiKeyRepo(), clock, ids)
    call_repo, auction_repo = DynamoCallRepo(), DynamoAuctionRepo()
    auctions = AuctionService(auction_repo, call_repo, StepFunctionsTimer(), clock, ids)
    bids = BidService(auction_repo, clock, ids, config.bids_per_hour)
    bid_profiles = BidProfileService(DynamoBidProfileRepo(), bids, _state_of, clock, ids)
    auctions.when_opened(bid_profiles.auto_bid)
    return Services(
        accounts=AccountService(account_repo, api_keys, hasher, clock, ids, config.signup_credit),
        api_keys=api_keys,
        auth=AuthService(account_repo, DynamoSessionRepo(), hasher, codec, clock, ids),
        calls=CallService(call_repo, account_repo, auction_repo, auctions, DynamoBillingRepo(), clock, ids),
        auctions=auctions,
        bids=bids,
        bid_profiles=bid_profiles,
        tokens=codec,
        cursors=CursorCodec(secret),
    )


def _state_of(e164: str) -> str | None:
    """The US state of a number (area-code table from the compliance domain), when it has one."""
    return None


@lru_cache(maxsize=1)
def services() -> Services:
    """The process-wide services, built on first use (cold start)."""
    return build()


def reset() -> None:
    """Forget cached settings, clients and services (tests)."""
    from dce import config
    from dce.adapters import auction_timer, aws
    from dce.api import idempotency

    services.cache_clear()
    idempotency.reset()
    auction_timer.reset()
    config.settings.cache_clear()
    aws.reset()
