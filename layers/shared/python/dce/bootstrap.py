"""Wires adapters into services, once per process. Tests call `reset()` or build their own.

Every service is built on first use, with its adapters' imports: a function loads only what its code
path asks for (the calls function never imports argon2 or PyJWT, the authorizer never the marketplace),
and the JWT signing key is read only by the services that sign or verify something with it (tokens,
cursors) — `auction_close`, `events` and `autobids` never fetch it (`Area.uses_jwt_secret`).
"""

from __future__ import annotations

from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from dce.config import settings
from dce.ports import BusinessMetrics, Clock, IdGen

if TYPE_CHECKING:
    from datetime import datetime

    from dce.adapters.accounts_repo import DynamoAccountRepo
    from dce.adapters.auctions_repo import DynamoAuctionRepo
    from dce.adapters.calls_repo import DynamoCallRepo
    from dce.adapters.passwords import Argon2Hasher
    from dce.api.pagination import CursorCodec
    from dce.domain.principal import Principal
    from dce.services.accounts import AccountService
    from dce.services.api_keys import ApiKeyService
    from dce.services.auctions import AuctionService
    from dce.services.auth import AuthService, LoginLimits
    from dce.services.bid_profiles import AutoBids, BidProfileService
    from dce.services.bids import BidService
    from dce.services.calls import CallService
    from dce.services.compliance import ComplianceService
    from dce.services.connections import ConnectionService
    from dce.services.events import EventService
    from dce.services.pushes import PushService
    from dce.services.suspension import AccountStanding, SuspensionService
    from dce.services.tokens import TokenCodec


class Services:
    """The use cases of one process, each built (with its adapters) the first time it is asked for."""

    def __init__(self, clock: Clock | None = None, ids: IdGen | None = None, metrics: BusinessMetrics | None = None):
        self._given_clock, self._given_ids, self._given_metrics = clock, ids, metrics

    @cached_property
    def clock(self) -> Clock:
        from dce.adapters.system import SystemClock

        return self._given_clock or SystemClock()

    @cached_property
    def ids(self) -> IdGen:
        from dce.adapters.system import UuidGen

        return self._given_ids or UuidGen()

    @cached_property
    def metrics(self) -> BusinessMetrics:
        from dce.adapters.metrics import PowertoolsMetrics

        return self._given_metrics or PowertoolsMetrics()

    @cached_property
    def _secret(self) -> str:
        """The JWT signing key (Secrets Manager on AWS): read by the first service that needs it."""
        from dce.adapters.secrets import jwt_secret

        return jwt_secret(settings())

    @cached_property
    def tokens(self) -> TokenCodec:
        from dce.services.tokens import TokenCodec

        config = settings()
        return TokenCodec(self._secret, config.access_ttl_seconds, config.refresh_ttl_seconds)

    @cached_property
    def cursors(self) -> CursorCodec:
        from dce.api.pagination import CursorCodec

        return CursorCodec(self._secret)

    @cached_property
    def _account_repo(self) -> DynamoAccountRepo:
        from dce.adapters.accounts_repo import DynamoAccountRepo

        return DynamoAccountRepo()

    @cached_property
    def _call_repo(self) -> DynamoCallRepo:
        from dce.adapters.calls_repo import DynamoCallRepo

        return DynamoCallRepo()

    @cached_property
    def _auction_repo(self) -> DynamoAuctionRepo:
        from dce.adapters.auctions_repo import DynamoAuctionRepo

        return DynamoAuctionRepo()

    @cached_property
    def _hasher(self) -> Argon2Hasher:
        from dce.adapters.passwords import Argon2Hasher

        config = settings()
        return Argon2Hasher(config.password_time_cost, config.password_memory_kib)

    @cached_property
    def api_keys(self) -> ApiKeyService:
        from dce.adapters.api_keys_repo import DynamoApiKeyRepo
        from dce.services.api_keys import ApiKeyService

        return ApiKeyService(DynamoApiKeyRepo(), self.clock, self.ids)

    @cached_property
    def accounts(self) -> AccountService:
        from dataclasses import replace

        from dce.adapters.rate_limits_repo import DynamoCounters
        from dce.services.accounts import SIGNUPS, AccountService
        from dce.services.windowed_limits import WindowedLimits

        config = settings()
        return AccountService(
            self._account_repo,
            self.api_keys,
            self._hasher,
            self.clock,
            self.ids,
            config.signup_credit,
            WindowedLimits(DynamoCounters(), self.clock),
            replace(SIGNUPS, limits={"ip": config.signups_per_ip}),
        )

    @cached_property
    def standing(self) -> AccountStanding:
        """The per-request check of the caller's account (the authorizer, WebSocket $connect)."""
        from dce.services.suspension import AccountStanding

        return AccountStanding(self._account_repo)

    @cached_property
    def suspension(self) -> SuspensionService:
        """Suspending and reactivating accounts; a suspension closes the account's WebSockets itself."""
        from dce.adapters.connections_api import ApiGatewayPusher
        from dce.adapters.connections_repo import DynamoConnectionRepo
        from dce.services.suspension import AccountConnections, SuspensionService

        config = settings()
        closer = AccountConnections(DynamoConnectionRepo(), ApiGatewayPusher(config.ws_endpoint, config.region))
        return SuspensionService(self._account_repo, closer, self.clock)

    @cached_property
    def auth(self) -> AuthService:
        from dce.adapters.rate_limits_repo import DynamoCounters
        from dce.adapters.sessions_repo import DynamoSessionRepo
        from dce.services.auth import AuthService

        return AuthService(
            self._account_repo,
            DynamoSessionRepo(),
            self._hasher,
            self.tokens,
            self.clock,
            self.ids,
            DynamoCounters(),
            _login_limits(),
        )

    @cached_property
    def compliance(self) -> ComplianceService:
        from dce.adapters.compliance_repo import DynamoComplianceRepo
        from dce.adapters.fixed_clock import fixed_clock
        from dce.services.compliance import ComplianceService

        config = settings()
        # The compliance checks may run on a pinned clock (DCE_FIXED_NOW, local/test only); an injected clock wins.
        clock = self._given_clock or fixed_clock(config) or self.clock
        return ComplianceService(DynamoComplianceRepo(), clock, config.calls_per_hour)

    @cached_property
    def auctions(self) -> AuctionService:
        from dce.adapters.auction_timer import StepFunctionsTimer
        from dce.services.auctions import AuctionService

        # Opening places no automatic bid: the autobids function does, from the auctions stream (`auto_bids`).
        return AuctionService(
            self._auction_repo, self._call_repo, StepFunctionsTimer(), self.clock, self.ids, self.metrics
        )

    @cached_property
    def bids(self) -> BidService:
        from dce.services.bids import BidService

        return BidService(self._auction_repo, self.clock, self.ids, settings().bids_per_hour, self.metrics)

    @cached_property
    def bid_profiles(self) -> BidProfileService:
        from dce.adapters.bid_profiles_repo import DynamoBidProfileRepo
        from dce.services.bid_profiles import BidProfileService

        return BidProfileService(DynamoBidProfileRepo(), self.clock, self.ids, settings().bid_profiles_per_seller)

    @cached_property
    def auto_bids(self) -> AutoBids:
        """The autobids function's use case: an opened auction's automatic bids, through the bid path."""
        from dce.adapters.bid_profiles_repo import DynamoAutoBidLog, DynamoBidProfileRepo
        from dce.services.bid_profiles import AutoBids

        return AutoBids(DynamoBidProfileRepo(), self._call_repo, self.bids, DynamoAutoBidLog(), _state_of, self.clock)

    @cached_property
    def calls(self) -> CallService:
        from dce.adapters.billing_repo import DynamoBillingRepo
        from dce.services.calls import CallService

        return CallService(
            self._call_repo,
            self._account_repo,
            self._auction_repo,
            self.auctions,
            DynamoBillingRepo(),
            self.clock,
            self.ids,
            self.compliance,
            self.metrics,
        )


def build(clock: Clock | None = None, ids: IdGen | None = None, metrics: BusinessMetrics | None = None) -> Services:
    return Services(clock, ids, metrics)


def _login_limits() -> LoginLimits:
    from dce.services.auth import LoginLimits

    config = settings()
    return LoginLimits(
        config.login_failures_per_email,
        config.login_failures_per_ip,
        config.login_window_seconds,
        config.login_attempts_per_email,
        config.login_attempts_per_ip,
    )


def _state_of(e164: str) -> str | None:
    """The US state of a number, from the compliance domain's area-code table (None outside NANP)."""
    from dce.domain.compliance import state_of as us_state_of
    from dce.domain.phone import PhoneNumber

    return us_state_of(PhoneNumber(e164, 1)) if e164.startswith("+1") else None


@lru_cache(maxsize=1)
def services() -> Services:
    """The process-wide services; each is built on first use (cold start)."""
    return build()


# The WebSocket and events services are imported on first use: the API functions never load them.
@lru_cache(maxsize=1)
def connections() -> ConnectionService:
    """The WebSocket API's service (the ws function): connections checked with the access-token codec, and
    refused for a suspended account (or a token its suspension revoked)."""
    from dce.adapters.connections_repo import DynamoConnectionRepo
    from dce.adapters.system import SystemClock
    from dce.services.connections import ConnectionService

    def verify(token: str) -> tuple[Principal, datetime]:
        claims = services().tokens.verify_access_claims(token)
        return services().standing.require_active(claims.principal, claims.issued_at), claims.expires_at

    return ConnectionService(DynamoConnectionRepo(), verify, SystemClock())


@lru_cache(maxsize=1)
def events() -> EventService:
    """The events function's service; it needs no secret."""
    from dce.adapters.auctions_repo import DynamoAuctionRepo
    from dce.adapters.bid_profiles_repo import DynamoBidProfileRepo
    from dce.adapters.calls_repo import DynamoCallRepo
    from dce.adapters.connections_repo import DynamoConnectionRepo
    from dce.adapters.events_log import DynamoEventLog
    from dce.adapters.push_queue import SqsPushQueue
    from dce.api.schemas.events import encode_event
    from dce.services.events import EventService

    config = settings()
    return EventService(
        DynamoEventLog(),
        DynamoConnectionRepo(),
        SqsPushQueue(config.pushes_queue_url, config.region),
        (DynamoAuctionRepo(), DynamoCallRepo(), DynamoBidProfileRepo()),
        _state_of,
        encode_event,
    )


@lru_cache(maxsize=1)
def pushes() -> PushService:
    """The push function's service: posts queued frames to @connections; it needs no secret."""
    from dce.adapters.connections_api import ApiGatewayPusher
    from dce.adapters.connections_repo import DynamoConnectionRepo
    from dce.adapters.system import SystemClock
    from dce.services.pushes import PushService

    config = settings()
    return PushService(ApiGatewayPusher(config.ws_endpoint, config.region), DynamoConnectionRepo(), SystemClock())


def reset() -> None:
    """Forget cached settings, clients and services (tests)."""
    from dce import config
    from dce.adapters import auction_timer, aws
    from dce.api import idempotency, rate_limit

    services.cache_clear()
    connections.cache_clear()
    events.cache_clear()
    pushes.cache_clear()
    idempotency.reset()
    rate_limit.reset()
    auction_timer.reset()
    config.settings.cache_clear()
    aws.reset()
