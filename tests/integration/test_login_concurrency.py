"""The failed log-in limit is exact under concurrency (issue 14): 60 wrong passwords at once for one email,
against a limit of 10, get exactly 10 passwords checked (401) and 50 refusals (429) — the limit is reserved
with a conditional increment before any password is checked. Threads against the moto server, whose
conditional writes are atomic as DynamoDB's (local/moto_patches.py)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from dce.adapters.accounts_repo import DynamoAccountRepo
from dce.adapters.passwords import Argon2Hasher
from dce.adapters.rate_limits_repo import DynamoCounters
from dce.adapters.sessions_repo import DynamoSessionRepo
from dce.adapters.system import UuidGen
from dce.bootstrap import services
from dce.domain.accounts import Role
from dce.domain.errors import InvalidCredentials, RateLimited
from dce.services.accounts import NewAccount
from dce.services.auth import AuthService, LoginLimits
from dce.services.tokens import TokenCodec
from tests.conftest import JWT_SECRET

PASSWORD = "the-right-password-1"
LIMIT, GUESSES = 10, 60


class CountingHasher(Argon2Hasher):
    """Counts the passwords actually checked (the work a brute force buys)."""

    def __init__(self) -> None:
        super().__init__(1, 1024)
        self.verified = 0
        self._lock = threading.Lock()

    def verify(self, password_hash: str, password: str) -> bool:
        with self._lock:
            self.verified += 1
        return super().verify(password_hash, password)


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 1, 1, 12, 0, 5, tzinfo=UTC)  # well inside one 15-minute window


@pytest.fixture
def login(aws: None) -> tuple[AuthService, CountingHasher]:
    services().accounts.sign_up(
        NewAccount(email="victim@example.com", company_name="Acme", role=Role.BUYER, password=PASSWORD)
    )
    hasher = CountingHasher()
    service = AuthService(
        DynamoAccountRepo(),
        DynamoSessionRepo(),
        hasher,
        TokenCodec(JWT_SECRET, 900, 3600),
        FixedClock(),
        UuidGen(),
        DynamoCounters(),
        LoginLimits(
            per_email=LIMIT, per_ip=10_000, window_seconds=900, attempts_per_email=10_000, attempts_per_ip=10_000
        ),
    )
    return service, hasher


def attempt(service: AuthService, n: int) -> str:
    try:
        service.login("victim@example.com", f"wrong-guess-{n:04d}", f"10.0.{n // 250}.{n % 250}")
    except InvalidCredentials:
        return "checked"
    except RateLimited:
        return "refused"
    return "logged in"


def test_60_concurrent_wrong_passwords_get_exactly_the_limit_checked(login: tuple[AuthService, CountingHasher]):
    service, hasher = login
    barrier = threading.Barrier(GUESSES)

    def guess(n: int) -> str:
        barrier.wait()  # all at once
        return attempt(service, n)

    with ThreadPoolExecutor(GUESSES) as pool:
        outcomes = list(pool.map(guess, range(GUESSES)))
    assert (outcomes.count("checked"), outcomes.count("refused")) == (LIMIT, GUESSES - LIMIT)
    assert hasher.verified == LIMIT
    with pytest.raises(RateLimited):  # and the right password now waits for the window to end
        service.login("victim@example.com", PASSWORD, "10.9.9.9")


def test_right_passwords_give_their_reservation_back(login: tuple[AuthService, CountingHasher]):
    """A log-in in progress holds a reservation (so more than the limit at once may meet a 429); once its
    password proved right, it gives it back: successes never count as failures (attempt limits out of reach)."""
    service, _ = login
    tokens = [service.login("victim@example.com", PASSWORD, "10.0.0.1") for _ in range(3 * LIMIT)]
    assert len({pair.access_token for pair in tokens}) == 3 * LIMIT
    outcomes = [attempt(service, n) for n in range(LIMIT + 1)]
    assert outcomes == ["checked"] * LIMIT + ["refused"]  # the successes counted for nothing
