"""Per-environment settings: the one place where dev, staging and prod differ."""

from __future__ import annotations

from dataclasses import dataclass
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
    bids_per_hour: int = 200  # DCE_BIDS_PER_HOUR: bids one seller may place per hour (velocity limit)
    timeout_seconds: int = 10  # well under API Gateway's 29 s integration timeout
    # 0 = no caching: a revoked API key or a logged-out session must stop working on the next request.
    # It is also the only value possible: the authorizer has no identity source (Bearer JWT *or* X-API-Key).
    authorizer_cache_ttl_seconds: int = 0
    # Stage access logs need the account-level API Gateway CloudWatch role, which this app does not own.
    access_logging: bool = False

    def __post_init__(self) -> None:
        try:
            credit = Decimal(self.signup_credit)
        except InvalidOperation as exc:
            raise ValueError(f"signup_credit must be a decimal string, got {self.signup_credit!r}") from exc
        if credit < 0:
            raise ValueError("signup_credit must not be negative")
        if self.bids_per_hour < 1:
            raise ValueError("bids_per_hour must be at least 1")
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


ENVIRONMENTS: dict[EnvName, Settings] = {
    "dev": Settings(
        env="dev",
        removal_policy=RemovalPolicy.DESTROY,
        point_in_time_recovery=False,
        deletion_protection=False,
        log_retention=logs.RetentionDays.ONE_WEEK,
        log_level="DEBUG",
        signup_credit="1000.00",
        throttle_rate_limit=20,
        throttle_burst_limit=40,
        memory_size_mb=512,
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
    ),
}


def settings_for(env: object) -> Settings:
    """The settings for an environment name (e.g. the `-c env=...` context value)."""
    for name, settings in ENVIRONMENTS.items():
        if env == name:
            return settings
    raise UnknownEnvironmentError(env)
