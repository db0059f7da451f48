"""Wires adapters into services, once per process. Tests call `reset()` or build their own."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from dce.adapters.accounts_repo import DynamoAccountRepo
from dce.adapters.api_keys_repo import DynamoApiKeyRepo
from dce.adapters.auction_timer import StepFunctionsTimer
from dce.adapters.auctions_repo import DynamoAuctionRepo
from dce.adapters.bid_profiles_repo import DynamoBidProfileRepo
from dce.adapters.billing_repo import DynamoBillingRepo
from dce.adapters.calls_repo import DynamoCallRepo
from dce.adapters.compliance_repo import DynamoComplianceRepo
from dce.adapters.fixed_clock import fixed_clock
from dce.adapters.passwords import Argon2Hasher
from dce.adapters.rate_limits_repo import DynamoCounters
from dce.adapters.secrets import jwt_secret
from dce.adapters.sessions_repo import DynamoSessionRepo
from dce.adapters.system import SystemClock, UuidGen
from dce.api.pagination import CursorCodec
from dce.config import settings
from dce.domain.compliance import state_of as us_state_of
from dce.domain.phone import PhoneNumber
from dce.ports import Clock, IdGen
from dce.services.accounts import AccountService
from dce.services.api_keys import ApiKeyService
from dce.services.auctions import AuctionService
from dce.services.auth import AuthService, LoginLimits
from dce.services.bid_profiles import BidProfileService
from dce.services.bids import BidService
from dce.services.calls import CallService
from dce.services.compliance import ComplianceService
from dce.services.tokens import TokenCodec

if TYPE_CHECKING:
    from dce.services.connections import ConnectionService
    from dce.services.events import EventService


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
    compliance: ComplianceService


def build(clock: Clock | None = None, ids: IdGen | None = None) -> Services:
    config = settings()
    # The compliance checks may run on a pinned clock (DCE_FIXED_NOW, local/test only); an injected clock wins.
    compliance = ComplianceService(
        DynamoComplianceRepo(), clock or fixed_clock(config) or SystemClock(), config.calls_per_hour
    )
    clock = clock or SystemClock()
    ids = ids or UuidGen()
    account_repo = DynamoAccountRepo()
    hasher = Argon2Hasher(config.password_time_cost, config.password_memory_kib)
    secret = jwt_secret(config)
    codec = TokenCodec(secret, config.access_ttl_seconds, config.refresh_ttl_seconds)
    api_keys = ApiKeyService(DynamoApiKeyRepo(), clock, ids)
    call_repo, auction_repo, sessions = DynamoCallRepo(), DynamoAuctionRepo(), DynamoSessionRepo()
    auctions = AuctionService(auction_repo, call_repo, StepFunctionsTimer(), clock, ids)
    bids = BidService(auction_repo, clock, ids, config.bids_per_hour)
    bid_profiles = BidProfileService(DynamoBidProfileRepo(), bids, _state_of, clock, ids)
    auctions.when_opened(bid_profiles.auto_bid)
    return Services(
        accounts=AccountService(account_repo, api_keys, hasher, clock, ids, config.signup_credit),
        api_keys=api_keys,
        auth=AuthService(account_repo, sessions, hasher, codec, clock, ids, DynamoCounters(), _login_limits()),
        calls=CallService(call_repo, account_repo, auction_repo, auctions, DynamoBillingRepo(), clock, ids, compliance),
        auctions=auctions,
        bids=bids,
        bid_profiles=bid_profiles,
        tokens=codec,
        cursors=CursorCodec(secret),
        compliance=compliance,
    )


def _login_limits() -> LoginLimits:
    config = settings()
    return LoginLimits(config.login_failures_per_email, config.login_failures_per_ip, config.login_window_seconds)


def _state_of(e164: str) -> str | None:
    """The US state of a number, from the compliance domain's area-code table (None outside NANP)."""
    return us_state_of(PhoneNumber(e164, 1)) if e164.startswith("+1") else None


@lru_cache(maxsize=1)
def services() -> Services:
    """The process-wide services, built on first use (cold start)."""
    return build()


# The WebSocket and events services are imported on first use: the API functions never load them.
@lru_cache(maxsize=1)
def connections() -> ConnectionService:
    """The WebSocket API's service (the ws function): connections checked with the access-token codec."""
    from dce.adapters.connections_repo import DynamoConnectionRepo
    from dce.services.connections import ConnectionService

    return ConnectionService(DynamoConnectionRepo(), services().tokens.verify_access, SystemClock())


@lru_cache(maxsize=1)
def events() -> EventService:
    """The events function's service; it needs no secret, so its cold start does not build `services()`."""
    from dce.adapters.connections_api import ApiGatewayPusher
    from dce.adapters.connections_repo import DynamoConnectionRepo
    from dce.adapters.events_log import DynamoEventLog
    from dce.api.schemas.events import encode_event
    from dce.services.events import EventService

    config = settings()
    return EventService(
        DynamoEventLog(),
        DynamoConnectionRepo(),
        ApiGatewayPusher(config.ws_endpoint, config.region),
        (DynamoAuctionRepo(), DynamoCallRepo(), DynamoBidProfileRepo()),
        _state_of,
        encode_event,
        SystemClock(),
    )


def reset() -> None:
    """Forget cached settings, clients and services (tests)."""
    from dce import config
    from dce.adapters import auction_timer, aws
    from dce.api import idempotency, rate_limit

    services.cache_clear()
    connections.cache_clear()
    events.cache_clear()
    idempotency.reset()
    rate_limit.reset()
    auction_timer.reset()
    config.settings.cache_clear()
    aws.reset()
