"""Rate limits on DynamoDB (moto): the token bucket every Lambda instance shares, and failed-login limits
per email and per client IP. Time is passed in, so the numbers are exact."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from dce.adapters.accounts_repo import DynamoAccountRepo
from dce.adapters.passwords import Argon2Hasher
from dce.adapters.rate_limits_repo import DynamoCounters, DynamoTokenBuckets
from dce.adapters.sessions_repo import DynamoSessionRepo
from dce.adapters.system import UuidGen
from dce.api.rate_limit import caller_key, take_token
from dce.bootstrap import services
from dce.config import Settings
from dce.domain.accounts import Role
from dce.domain.errors import EmailTaken, InvalidCredentials, RateLimited
from dce.services.accounts import NewAccount
from dce.services.auth import AuthService, LoginLimits
from dce.services.tokens import TokenCodec
from tests.conftest import JWT_SECRET

T0 = 1_800_000_000.0  # epoch seconds
PASSWORD = "correct-horse-battery"


def test_the_deployed_defaults_are_100_a_second_with_bursts_of_150_and_the_local_ones_25_and_50():
    for env in ("dev", "staging", "prod"):
        assert (Settings(env=env).rate_limit_per_second, Settings(env=env).rate_limit_burst) == (100, 150)
    assert (Settings(env="local").rate_limit_per_second, Settings(env="local").rate_limit_burst) == (25, 50)
    assert Settings(env="local", rate_limit_per_second=100).rate_limit_per_second == 100  # a setting wins
    defaults = Settings()
    assert (defaults.login_failures_per_email, defaults.login_failures_per_ip) == (10, 100)
    assert defaults.login_window_seconds == 900
    assert (defaults.login_attempts_per_email, defaults.login_attempts_per_ip, defaults.signups_per_ip) == (
        20,
        600,
        120,
    )


def test_a_full_bucket_grants_a_burst_then_refills_at_the_rate(aws):
    bucket = DynamoTokenBuckets(per_second=100, burst=150)
    assert all(bucket.take("account#a", T0) == 0 for _ in range(150))
    assert bucket.take("account#a", T0) == pytest.approx(0.01)  # the 151st waits one interval
    assert bucket.take("account#a", T0 + 0.01) == 0
    assert bucket.take("account#a", T0 + 0.01) > 0
    assert all(bucket.take("account#a", T0 + 0.5) == 0 for _ in range(49))  # 0.49 s refilled 49 tokens
    assert bucket.take("account#a", T0 + 0.5) > 0


def test_a_rate_too_fine_for_the_stored_microseconds_grants_everything_without_failing(aws):
    bucket = DynamoTokenBuckets(per_second=10_000_000, burst=2)  # one token every 0.1 µs rounds to 0
    assert [bucket.take("account#a", T0) for _ in range(5)] == [0.0] * 5


def test_lambda_instances_share_one_bucket_per_caller(aws):
    instances = [DynamoTokenBuckets(per_second=10, burst=5) for _ in range(3)]
    granted = [instance.take("account#shared", T0) == 0 for _ in range(3) for instance in instances]
    assert granted.count(True) == 5
    assert instances[0].take("account#other", T0) == 0  # another caller has its own bucket


def test_an_idle_bucket_refills_to_the_burst_and_no_further(aws):
    bucket = DynamoTokenBuckets(per_second=10, burst=3)
    assert bucket.take("ip#10.0.0.1", T0) == 0
    later = T0 + 3600
    assert [bucket.take("ip#10.0.0.1", later) == 0 for _ in range(4)] == [True, True, True, False]


def test_a_refused_request_is_told_how_long_to_wait(aws):
    bucket = DynamoTokenBuckets(per_second=2, burst=1)
    assert bucket.take("account#slow", T0) == 0
    assert bucket.take("account#slow", T0 + 0.1) == pytest.approx(0.4)
    assert bucket.take("account#slow", T0 + 0.5) == 0


@dataclass
class FakeClock:
    now_at: datetime

    def now(self) -> datetime:
        return self.now_at


@pytest.fixture
def auth(aws) -> tuple[AuthService, FakeClock]:
    """The auth service on DynamoDB with small login limits, on a clock the test moves."""
    for email in ("victim@example.com", "other@example.com"):
        services().accounts.sign_up(NewAccount(email=email, company_name="Acme", role=Role.BUYER, password=PASSWORD))
    clock = FakeClock(datetime(2026, 1, 1, 12, 0, 5, tzinfo=UTC))
    limits = LoginLimits(per_email=3, per_ip=5, window_seconds=60)
    hasher, codec = Argon2Hasher(1, 1024), TokenCodec(JWT_SECRET, 900, 3600)
    service = AuthService(
        DynamoAccountRepo(), DynamoSessionRepo(), hasher, codec, clock, UuidGen(), DynamoCounters(), limits
    )
    return service, clock


def fail(service: AuthService, email: str, ip: str) -> None:
    with pytest.raises(InvalidCredentials):
        service.login(email, "wrong-password-123", ip)


def test_failed_logins_for_one_email_lock_it_until_the_window_ends(auth):
    service, clock = auth
    for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):  # spread over addresses: the email limit still counts
        fail(service, "victim@example.com", ip)
    with pytest.raises(RateLimited) as refused:
        service.login("Victim@Example.com", PASSWORD, "10.0.0.9")  # even the right password waits
    assert refused.value.retry_after == 55  # the window started at 12:00:00 and lasts 60 s
    assert service.login("other@example.com", PASSWORD, "10.0.0.9").access_token  # other emails are not locked
    clock.now_at += timedelta(seconds=60)
    assert service.login("victim@example.com", PASSWORD, "10.0.0.1").access_token


def test_failed_logins_from_one_ip_are_limited_across_emails(auth):
    service, _ = auth
    for n in range(5):
        fail(service, f"guess-{n}@example.com", "10.9.9.9")
    with pytest.raises(RateLimited):
        service.login("other@example.com", PASSWORD, "10.9.9.9")
    assert service.login("other@example.com", PASSWORD, "10.1.1.1").access_token


def test_successful_logins_do_not_count_toward_the_failure_limits(auth):
    service, _ = auth
    for _ in range(8):
        assert service.login("victim@example.com", PASSWORD, "10.0.0.1").access_token


def test_the_throttled_answer_is_the_same_for_unknown_and_known_emails(auth):
    service, _ = auth
    for n, email in enumerate(("victim@example.com", "nobody@example.com")):
        for _ in range(3):
            fail(service, email, f"10.0.{n}.1")
        with pytest.raises(RateLimited) as refused:
            service.login(email, PASSWORD, "10.0.0.200")
        assert refused.value.message == "Too many failed log-ins: retry later"


def event(account_id: str | None = None, source_ip: str = "203.0.113.7") -> dict[str, Any]:
    context: dict[str, Any] = {"identity": {"sourceIp": source_ip}}
    if account_id:
        context["authorizer"] = {"account_id": account_id, "role": "buyer"}
    return {"requestContext": context}


def test_a_caller_is_its_account_or_else_its_client_ip():
    assert caller_key(event("a1")) == "account#a1"
    assert caller_key(event(None)) == "ip#203.0.113.7"


def test_an_empty_bucket_is_a_429_with_the_seconds_to_wait(aws, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(DynamoTokenBuckets, "take", lambda self, key, now: 2.2)
    with pytest.raises(RateLimited) as refused:
        take_token(event("a1"))
    assert (refused.value.code, refused.value.retry_after) == ("RATE_LIMITED", 3)


def test_requests_are_served_when_the_limiter_cannot_be_reached(aws, monkeypatch: pytest.MonkeyPatch):
    def unreachable(self: DynamoTokenBuckets, key: str, now: float) -> float:
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "UpdateItem")

    monkeypatch.setattr(DynamoTokenBuckets, "take", unreachable)
    take_token(event("a1"))  # fails open: no exception


@pytest.fixture
def attempts(aws) -> tuple[AuthService, FakeClock, list[int]]:
    """Log-in attempts of any outcome limited (fair use: each costs a hash), with a hasher that counts."""
    services().accounts.sign_up(
        NewAccount(email="busy@example.com", company_name="Acme", role=Role.BUYER, password=PASSWORD)
    )
    clock = FakeClock(datetime(2026, 1, 1, 12, 0, 5, tzinfo=UTC))
    limits = LoginLimits(per_email=3, per_ip=50, window_seconds=900, attempts_per_email=5, attempts_per_ip=8)
    hashed: list[int] = []

    class CountingHasher(Argon2Hasher):
        def verify(self, password_hash: str, password: str) -> bool:
            hashed.append(1)
            return super().verify(password_hash, password)

    service = AuthService(
        DynamoAccountRepo(),
        DynamoSessionRepo(),
        CountingHasher(1, 1024),
        TokenCodec(JWT_SECRET, 900, 3600),
        clock,
        UuidGen(),
        DynamoCounters(),
        limits,
    )
    return service, clock, hashed


def test_successful_logins_too_are_limited_per_email_a_minute(attempts):
    service, clock, hashed = attempts
    for _ in range(5):
        assert service.login("busy@example.com", PASSWORD, "10.0.0.1").access_token
    with pytest.raises(RateLimited) as refused:
        service.login("busy@example.com", PASSWORD, "10.0.0.2")
    assert refused.value.retry_after == 55 and refused.value.message == "Too many log-ins: retry later"
    assert len(hashed) == 5  # the refused attempt cost no hash
    clock.now_at += timedelta(seconds=60)  # a new minute
    assert service.login("busy@example.com", PASSWORD, "10.0.0.1").access_token


def test_log_in_attempts_are_limited_per_client_ip_across_emails(attempts):
    service, _, hashed = attempts
    for n in range(8):
        with pytest.raises(InvalidCredentials):
            service.login(f"nobody-{n}@example.com", "wrong-password-123", "10.7.7.7")
    with pytest.raises(RateLimited):
        service.login("busy@example.com", PASSWORD, "10.7.7.7")
    assert len(hashed) == 8
    assert service.login("busy@example.com", PASSWORD, "10.7.7.8").access_token  # another address is not


def test_sign_ups_are_limited_per_client_ip_a_minute_before_any_hash(aws):
    from dce.adapters.system import SystemClock
    from dce.services.accounts import SIGNUPS, AccountService
    from dce.services.windowed_limits import WindowedLimits

    hashes: list[int] = []

    class CountingHasher(Argon2Hasher):
        def hash(self, password: str) -> str:
            hashes.append(1)
            return super().hash(password)

    clock = SystemClock()
    service = AccountService(
        DynamoAccountRepo(),
        services().api_keys,
        CountingHasher(1, 1024),
        clock,
        UuidGen(),
        Decimal("0.00"),
        WindowedLimits(DynamoCounters(), clock),
        replace(SIGNUPS, limits={"ip": 3}),
    )

    def sign_up(email: str, ip: str) -> None:
        service.sign_up(NewAccount(email=email, company_name="Acme", role=Role.SELLER, password=PASSWORD), ip)

    sign_up("one@example.com", "10.3.3.3")
    with pytest.raises(EmailTaken):  # a taken email is refused before its password is hashed
        sign_up("one@example.com", "10.3.3.3")
    sign_up("two@example.com", "10.3.3.3")
    with pytest.raises(RateLimited) as refused:
        sign_up("three@example.com", "10.3.3.3")
    assert 1 <= refused.value.retry_after <= 60 and refused.value.message == "Too many sign-ups: retry later"
    assert len(hashes) == 2
    sign_up("three@example.com", "10.3.3.4")  # another address may still sign up
