"""Settings read once from the environment (`DCE_*`), validated with pydantic."""

from __future__ import annotations

import os
from decimal import Decimal
from functools import lru_cache
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, SecretStr, model_validator

JWT_ISSUER = "dependable-call-exchange"
JWT_AUDIENCE = "api"
REFRESH_AUDIENCE = "refresh"
# Rate limits per caller (requests a second, burst): deployed environments, and the local stack's test mode.
DEPLOYED_RATE_LIMIT = (100, 150)
LOCAL_RATE_LIMIT = (25, 50)


class Settings(BaseModel):
    env: str = "local"
    table_prefix: str = "dce-local"
    region: str = "us-east-1"
    # The JWT key comes either directly (local, tests) or from Secrets Manager (AWS), never from code.
    jwt_secret: SecretStr | None = None
    jwt_secret_arn: str | None = None
    access_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    refresh_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=3600)
    signup_credit: Decimal = Field(default=Decimal("1000.00"), ge=0, decimal_places=2)
    auction_state_machine_arn: str | None = None
    bids_per_hour: int = Field(default=200, ge=1)
    # Fair use: bid profiles one seller may hold (the next create → 409 LIMIT_EXCEEDED; deleting frees a slot).
    bid_profiles_per_seller: int = Field(default=50, ge=1)
    bootstrap_admin_email: str | None = None
    bootstrap_admin_password: SecretStr | None = None
    # argon2 cost; tests lower it (never in deployed environments: infra sets nothing here).
    password_time_cost: int = Field(default=3, ge=1)
    password_memory_kib: int = Field(default=65536, ge=8)
    # Velocity: more calls than this an hour from one account → 403 FRAUD_SUSPECTED.
    calls_per_hour: int = Field(default=100, ge=1)
    # Pins the compliance checks' clock (TCPA tests over HTTP); ignored unless env is local or test.
    fixed_now: AwareDatetime | None = None
    # Requests per caller (account, or client IP when anonymous): a token bucket shared by every instance.
    # Deployed: 100/s, bursts of 150. The local stack (env `local`) defaults to test-mode limits, 25/s with
    # bursts of 50, so a developer's client meets a 429 while developing (`_rate_limit_defaults`).
    rate_limit_per_second: float = Field(default=DEPLOYED_RATE_LIMIT[0], gt=0)
    rate_limit_burst: int = Field(default=DEPLOYED_RATE_LIMIT[1], ge=1)
    # Brute force: failed logins per email and per client IP within a fixed window → 429 until it ends.
    login_failures_per_email: int = Field(default=10, ge=1)
    login_failures_per_ip: int = Field(default=100, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    # Fair use (each costs a password hash): log-ins of any outcome per email and per client IP, and sign-ups
    # per client IP, in a window of a minute → 429 until it ends.
    login_attempts_per_email: int = Field(default=20, ge=1)
    login_attempts_per_ip: int = Field(default=600, ge=1)
    signups_per_ip: int = Field(default=120, ge=1)
    # The WebSocket API's @connections endpoint (the stage's callback URL; the local gateway on the dev stack).
    ws_endpoint: str | None = None
    # The push queue (dce.adapters.queues.PUSHES) the events function hands deliveries to: set by CDK and by the
    # local launcher. Unset: events are recorded but not pushed (a warning says so once).
    pushes_queue_url: str | None = None
    # Live WebSocket connections per account (admins too): the next handshake → 429 (dce.adapters.connections_repo).
    ws_max_connections_per_account: int = Field(default=100, ge=1)
    # Proxies in front of the API whose X-Forwarded-For is believed (addresses or CIDR ranges, comma-separated).
    # Empty: the client IP is the address API Gateway saw, and X-Forwarded-For is ignored (dce.api.client_ip).
    trusted_proxies: str = ""

    @model_validator(mode="before")
    @classmethod
    def _rate_limit_defaults(cls, values: Any) -> Any:
        """The local stack's rate limits default to test-mode values; whatever is given explicitly wins."""
        if isinstance(values, dict) and values.get("env", "local") == "local":
            values = dict(values)
            values.setdefault("rate_limit_per_second", LOCAL_RATE_LIMIT[0])
            values.setdefault("rate_limit_burst", LOCAL_RATE_LIMIT[1])
        return values

    @classmethod
    def from_env(cls) -> Settings:
        values = {
            name: os.environ[f"DCE_{name.upper()}"] for name in cls.model_fields if f"DCE_{name.upper()}" in os.environ
        }
        values.setdefault("region", os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
        return cls.model_validate(values)


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process-wide settings (cached: read once per cold start)."""
    return Settings.from_env()
