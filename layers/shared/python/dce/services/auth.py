"""Log-in and refresh-token rotation. A reused refresh token revokes its whole family; failed log-ins are
limited per email and per client IP (brute force)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import timedelta

from dce.domain.accounts import Account, normalise_email
from dce.domain.errors import InvalidCredentials, RateLimited, Unauthorized, ValidationFailed
from dce.domain.principal import Principal
from dce.ports import AccountRepo, Clock, Counters, IdGen, PasswordHasher, SessionRepo
from dce.services.tokens import TokenCodec


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 (a token type, not a secret)


@dataclass(frozen=True, slots=True)
class LoginLimits:
    """At most this many failed log-ins per email and per client IP in each fixed window."""

    per_email: int = 10
    per_ip: int = 100
    window_seconds: int = 900


class AuthService:
    def __init__(
        self,
        accounts: AccountRepo,
        sessions: SessionRepo,
        hasher: PasswordHasher,
        codec: TokenCodec,
        clock: Clock,
        ids: IdGen,
        failures: Counters | None = None,
        limits: LoginLimits = LoginLimits(),
    ) -> None:
        self._accounts, self._sessions, self._hasher = accounts, sessions, hasher
        self._codec, self._clock, self._ids = codec, clock, ids
        self._failures, self._limits = failures, limits
        self._dummy_hash: str | None = None

    def login(self, email: str, password: str, source_ip: str | None = None) -> TokenPair:
        try:
            email = normalise_email(email)
        except ValidationFailed as exc:
            raise InvalidCredentials() from exc
        counted = self._refuse_if_throttled(email, source_ip)
        account = self._accounts.find_by_email(email)
        if account is None or account.password_hash is None or account.status != "active":
            self._verify_dummy(password)  # same cost whether or not the email exists
            self._count_failure(counted)
            raise InvalidCredentials()
        if not self._hasher.verify(account.password_hash, password):
            self._count_failure(counted)
            raise InvalidCredentials()
        family_id = self._ids.new_id()
        token_id = self._ids.new_id()
        expires = self._clock.now() + timedelta(seconds=self._codec.refresh_ttl)
        self._sessions.start(family_id, account.id, token_id, expires)
        return self._pair(account, family_id, token_id)

    def refresh(self, refresh_token: str) -> TokenPair:
        claims = self._codec.verify_refresh(refresh_token)
        new_token_id = self._ids.new_id()
        if not self._sessions.rotate(claims.family_id, claims.token_id, new_token_id):
            # Either the family is revoked or this token was already used: treat as theft.
            self._sessions.revoke(claims.family_id)
            raise Unauthorized("Refresh token is no longer valid")
        account = self._accounts.get(claims.account_id)
        if account is None or account.status != "active":
            self._sessions.revoke(claims.family_id)
            raise Unauthorized("Refresh token is no longer valid")
        return self._pair(account, claims.family_id, new_token_id)

    def _pair(self, account: Account, family_id: str, refresh_id: str) -> TokenPair:
        now = self._clock.now()
        principal = Principal(account.id, account.role)
        return TokenPair(
            access_token=self._codec.access_token(principal, now, self._ids.new_id()),
            refresh_token=self._codec.refresh_token(account.id, family_id, refresh_id, now),
            expires_in=self._codec.access_ttl,
        )

    def _refuse_if_throttled(self, email: str, source_ip: str | None) -> dict[str, int]:
        """RateLimited while the email or the IP has used up its failures in this window (the same answer
        for every email, so it tells nothing about accounts); else the counter keys with their limits."""
        if self._failures is None:
            return {}
        now = self._clock.now().timestamp()
        window = int(now // self._limits.window_seconds)
        email_hash = hashlib.sha256(email.encode()).hexdigest()[:32]  # no addresses in the counters table
        limits = {f"login#email#{email_hash}#{window}": self._limits.per_email}
        if source_ip:
            limits[f"login#ip#{source_ip}#{window}"] = self._limits.per_ip
        counts = self._failures.read(list(limits))
        if any(counts[key] >= limit for key, limit in limits.items()):
            window_end = (window + 1) * self._limits.window_seconds
            raise RateLimited(math.ceil(window_end - now), "Too many failed log-ins: retry later")
        return limits

    def _count_failure(self, counted: dict[str, int]) -> None:
        if self._failures is not None and counted:
            now = self._clock.now().timestamp()
            expires = (int(now // self._limits.window_seconds) + 2) * self._limits.window_seconds
            self._failures.increment(list(counted), expires)

    def _verify_dummy(self, password: str) -> None:
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash("dummy-password-for-timing")
        self._hasher.verify(self._dummy_hash, password)
