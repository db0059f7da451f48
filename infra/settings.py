"""Per-environment settings: the one place where dev, staging and prod differ."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Literal, get_args

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs

EnvName = Literal["dev", "staging", "prod"]
ENV_NAMES: tuple[EnvName, ...] = get_args(EnvName)


class UnknownEnvironmentError(ValueError):
    def __init__(self, env: object) -> None:
        problem = "No environment given" if env is None else f"Unknown environment {env!r}"
        super().__init__(f"{problem}: pass one of {', '.join(ENV_NAMES)}, e.g. `cdk synth -c env=dev`")


@dataclass(frozen=True, slots=True)
class AlarmThresholds:
    """When an alarm of the observability construct fires (each evaluated over 5-minute periods)."""

    api_5xx_percent: float  # share of API requests answered 5xx ...
    api_min_requests: int  # ... counted only in periods with at least this many requests (no 1-of-2 alarms)
    api_p99_latency_ms: int  # API Gateway Latency p99, for `latency_periods` periods in a row
    latency_periods: int
    throttles: int  # API Gateway THROTTLED answers, Lambda throttles, DynamoDB throttle events: more than this
    lambda_errors: int  # errors of one function in a period: more than this
    state_machine_failures: int  # auction timer executions failed, timed out or aborted: more than this
    stream_iterator_age_seconds: int  # the events function lags behind the table streams by more than this

    def __post_init__(self) -> None:
        if not 0 < self.api_5xx_percent <= 100:
            raise ValueError("api_5xx_percent must be in (0, 100]")
        if (
            min(self.api_min_requests, self.api_p99_latency_ms, self.latency_periods, self.stream_iterator_age_seconds)
            < 1
        ):
            raise ValueError("api_min_requests, api_p99_latency_ms, latency_periods and iterator age must be positive")
        if min(self.throttles, self.lambda_errors, self.state_machine_failures) < 0:
            raise ValueError("alarm counts must not be negative")


@dataclass(frozen=True, slots=True)
class Settings:
    env: EnvName
    # Stateful resources (tables, log groups, the JWT secret): DESTROY only where data is disposable.
    removal_policy: RemovalPolicy
    point_in_time_recovery: bool
    deletion_protection: bool
    log_retention: logs.RetentionDays
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"]
    signup_credit: str  # DCE_SIGNUP_CREDIT: a decimal string, as the functions parse it
    # Stage-wide API Gateway throttling: steady requests per second and bucket size.
    throttle_rate_limit: float
    throttle_burst_limit: int
    memory_size_mb: int  # argon2 password hashing (64 MiB, 3 passes) is the heaviest thing we run
    alarms: AlarmThresholds
    bids_per_hour: int = 200  # DCE_BIDS_PER_HOUR: bids one seller may place per hour (velocity limit)
    timeout_seconds: int = 10  # well under API Gateway's 29 s integration timeout
    # 0 = no caching: a revoked API key or a logged-out session must stop working on the next request.
    # It is also the only value possible: the authorizer has no identity source (Bearer JWT *or* X-API-Key).
    authorizer_cache_ttl_seconds: int = 0
    # REST stage access logs (JSON lines) and execution logs (ERROR level, never request bodies) need the
    # account-level API Gateway CloudWatch role, which this app does not own: README "Deploy" sets it once
    # per account and region. False only for an emulator that lacks it.
    access_logging: bool = True
    # Reserved concurrency per function (area name → executions): a ceiling no function can pass, so a flood of
    # one route (sign-ups hashing passwords, say) cannot take the concurrency the others need, and a floor that
    # others cannot take from it. None = no reservation: new accounts have a concurrency quota of 10, and a
    # reservation that leaves under 100 unreserved fails the deploy, so only prod (in its own account, quota
    # raised) reserves. Every area must be named when set.
    reserved_concurrency: dict[str, int] | None = None
    # Concurrent batches per stream shard for a stream consumer (area name → 1..10; unnamed: 1). Records of one
    # item stay in order; different auctions' automatic bids are placed side by side, so a burst of openings
    # still gets its bids within seconds. Each batch in flight is a concurrent execution.
    stream_parallelization: dict[str, int] = field(default_factory=dict)
    # Batches of a work queue in flight (area name → the SQS event source's maximum concurrency, 2 to 1,000; at
    # most the function's reserved concurrency). Unnamed: infra.constructs.work_queue.DEFAULT_MAX_CONCURRENCY.
    queue_concurrency: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            credit = Decimal(self.signup_credit)
        except InvalidOperation as exc:
            raise ValueError(f"signup_credit must be a decimal string, got {self.signup_credit!r}") from exc
        if credit < 0:
            raise ValueError("signup_credit must not be negative")
        if self.bids_per_hour < 1:
            raise ValueError("bids_per_hour must be at least 1")
        if self.reserved_concurrency is not None and min(self.reserved_concurrency.values(), default=1) < 1:
            raise ValueError("reserved_concurrency values must be at least 1 (0 would disable the function)")
        if not all(1 <= factor <= 10 for factor in self.stream_parallelization.values()):
            raise ValueError("stream_parallelization values must be 1 to 10 (Lambda's ParallelizationFactor)")
        if not all(2 <= limit <= 1000 for limit in self.queue_concurrency.values()):
            raise ValueError("queue_concurrency values must be 2 to 1,000 (an SQS event source's MaximumConcurrency)")
        for area, limit in self.queue_concurrency.items():
            reserved = (self.reserved_concurrency or {}).get(area)
            if reserved is not None and limit > reserved:
                raise ValueError(f"queue_concurrency of {area} ({limit}) is above its reserved one ({reserved})")
        if self.authorizer_cache_ttl_seconds != 0:
            raise ValueError("authorizer_cache_ttl_seconds must be 0: API keys must be revocable immediately")

    @property
    def name_prefix(self) -> str:
        """Prefix of every physical name in this environment (stack, tables, functions)."""
        return f"dce-{self.env}"

    @property
    def table_prefix(self) -> str:
        """DCE_TABLE_PREFIX: tables are named `<prefix>-<name>` (see dce.adapters.tables)."""
        return self.name_prefix

    @property
    def stack_name(self) -> str:
        return self.name_prefix

    @property
    def metrics_namespace(self) -> str:
        """POWERTOOLS_METRICS_NAMESPACE: the business metrics of this environment (dimension service=dce)."""
        return self.name_prefix


ENVIRONMENTS: dict[EnvName, Settings] = {
    "dev": Settings(
        env="dev",
        removal_policy=RemovalPolicy.DESTROY,
        point_in_time_recovery=False,
        deletion_protection=False,
        log_retention=logs.RetentionDays.ONE_WEEK,
        log_level="DEBUG",
        signup_credit="1000.00",
        throttle_rate_limit=50,
        throttle_burst_limit=100,
        memory_size_mb=512,
        # dev sees little traffic and many experiments: alarm only on what is clearly broken.
        alarms=AlarmThresholds(
            api_5xx_percent=10,
            api_min_requests=20,
            api_p99_latency_ms=5000,
            latency_periods=3,
            throttles=10,
            lambda_errors=10,
            state_machine_failures=5,
            stream_iterator_age_seconds=600,
        ),
    ),
    "staging": Settings(
        env="staging",
        removal_policy=RemovalPolicy.RETAIN,
        point_in_time_recovery=True,
        deletion_protection=False,
        log_retention=logs.RetentionDays.ONE_MONTH,
        log_level="INFO",
        signup_credit="1000.00",
        throttle_rate_limit=50,
        throttle_burst_limit=100,
        memory_size_mb=512,
        alarms=AlarmThresholds(
            api_5xx_percent=5,
            api_min_requests=20,
            api_p99_latency_ms=3000,
            latency_periods=3,
            throttles=5,
            lambda_errors=5,
            state_machine_failures=0,
            stream_iterator_age_seconds=300,
        ),
    ),
    "prod": Settings(
        env="prod",
        removal_policy=RemovalPolicy.RETAIN,
        point_in_time_recovery=True,
        deletion_protection=True,
        log_retention=logs.RetentionDays.THREE_MONTHS,
        log_level="INFO",
        signup_credit="0",  # real money: nobody gets free credit in production
        throttle_rate_limit=500,
        throttle_burst_limit=1000,
        memory_size_mb=1024,  # more memory = more CPU = faster argon2 logins
        # Real money: a failed auction timer (an auction that never closes) or a 1 % error rate pages someone.
        alarms=AlarmThresholds(
            api_5xx_percent=1,
            api_min_requests=50,
            api_p99_latency_ms=2000,
            latency_periods=3,
            throttles=0,
            lambda_errors=0,
            state_machine_failures=0,
            stream_iterator_age_seconds=60,
        ),
        # 870 of the account's default quota of 1,000, leaving the 100 AWS requires unreserved plus 30: the prod
        # account must hold nothing else (or have its quota raised first; README "Deploy"). Sized from the
        # capacity model in docs/performance.md: the authorizer runs before every request, bids are the
        # busiest route, password hashing (accounts) is bounded so a log-in flood cannot starve the rest.
        # The automatic bids' 20 came from auctions (100 before): opening an auction no longer places them.
        reserved_concurrency={
            "authorizer": 200,
            "bids": 200,
            "calls": 120,
            "auctions": 80,
            "auction_close": 80,
            "accounts": 50,
            "compliance": 50,
            "ws": 50,
            "events": 10,
            "pushes": 10,
            "autobids": 20,
        },
        # 4 batches in flight per shard: autobids on the auctions stream (20 reserved: up to 5 shards), events on
        # each of its streams (a burst of one account holds back fewer of the others).
        stream_parallelization={"autobids": 4, "events": 4},
        # The pushes function's 10 reserved executions, each a batch of the push queue (a batch per account group
        # at a time: 10 accounts' deliveries in flight side by side). The events function only addresses (10).
        queue_concurrency={"pushes": 10},
    ),
}


def settings_for(env: object) -> Settings:
    """The settings for an environment name (e.g. the `-c env=...` context value)."""
    for name, settings in ENVIRONMENTS.items():
        if env == name:
            return settings
    raise UnknownEnvironmentError(env)
