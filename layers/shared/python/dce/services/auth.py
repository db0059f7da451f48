"""Log-in and refresh-token rotation. A reused refresh token revokes its whole family; failed log-ins are
limited per email and per client IP (brute force); a suspended account can neither log in nor refresh.

The failure limit is exact under concurrency: each log-in first reserves an attempt on its email's and its
IP's counters (a conditional increment, refused at the limit), and only then checks the password; a right
password gives the reservation back. So at most `limit` passwords are ever checked in a window, however many
guesses arrive at once (reading the counters and counting afterwards let every concurrent guess through)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from dce.domain.accounts import Account, AccountStatus, normalise_email, session_outlived
from dce.domain.errors import (
    AccountSuspended,
    InvalidCredentials,
    SuspendedAccountLogin,
    Unauthorized,
    ValidationFailed,
)
from dce.domain.principal import Principal
from dce.ports import AccountRepo, Clock, Counters, IdGen, PasswordHasher, SessionRepo
from dce.services.tokens import TokenCodec
from dce.services.windowed_limits import WindowedLimit, WindowedLimits


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 (a token type, not a secret)


@dataclass(frozen=True, slots=True)
class LoginLimits:
    """Failed log-ins (brute force): at most `per_email`/`per_ip` in each window of `window_seconds`. Log-in
    attempts of any outcome (fair use: each costs a password hash): at most `attempts_per_email`/
    `attempts_per_ip` in each window of `attempts_window_seconds`."""

    per_email: int = 10
    per_ip: int = 100
    window_seconds: int = 900
    attempts_per_email: int = 20
    attempts_per_ip: int = 600
    attempts_window_seconds: int = 60

    @property
    def failures(self) -> WindowedLimit:
        return WindowedLimit(
            "login",
            self.window_seconds,
            {"email": self.per_email, "ip": self.per_ip},
            "Too many failed log-ins: retry later",
        )

    @property
    def attempts(self) -> WindowedLimit:
        return WindowedLimit(
            "login-attempt",
            self.attempts_window_seconds,
            {"email": self.attempts_per_email, "ip": self.attempts_per_ip},
            "Too many log-ins: retry later",
        )


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
        self._limiter = WindowedLimits(failures, clock) if failures is not None else None
        self._limits = limits
        self._dummy_hash: str | None = None

    def login(self, email: str, password: str, source_ip: str | None = None) -> TokenPair:
        """Tokens for the right password of an active account. InvalidCredentials (counted as a failure) for
        anything else, RateLimited once the email or the IP has used up its failures in this window, and
        SuspendedAccountLogin (403) for the right password of a suspended account (so only someone who knows
        the password learns of the suspension)."""
        try:
            email = normalise_email(email)
        except ValidationFailed as exc:
            raise InvalidCredentials() from exc
        reserved = self._reserve_attempt(email, source_ip)  # kept (a failure) unless the password is right
        account = self._accounts.find_by_email(email)
        if account is None or account.password_hash is None:
            self._verify_dummy(password)  # same cost whether or not the email exists
            raise InvalidCredentials()
        if not self._hasher.verify(account.password_hash, password):
            raise InvalidCredentials()
        self._release(reserved)
        if account.status != AccountStatus.ACTIVE:
            raise SuspendedAccountLogin()
        family_id = self._ids.new_id()
        token_id = self._ids.new_id()
        now = self._clock.now()
        self._sessions.start(family_id, account.id, token_id, now + timedelta(seconds=self._codec.refresh_ttl), now)
        return self._pair(account, family_id, token_id)

    def refresh(self, refresh_token: str) -> TokenPair:
        """A new pair for the current refresh token of a live family. A suspended account's token: 401
        ACCOUNT_SUSPENDED (its family revoked). A reused token revokes its family (theft), and a family started
        before the account's last suspension stays revoked after a reactivation: both 401 UNAUTHORIZED."""
        claims = self._codec.verify_refresh(refresh_token)
        account = self._accounts.get(claims.account_id)
        if account is None:
            self._sessions.revoke(claims.family_id)
            raise Unauthorized("Refresh token is no longer valid")
        if account.status != AccountStatus.ACTIVE:
            self._sessions.revoke(claims.family_id)
            raise AccountSuspended()
        new_token_id = self._ids.new_id()
        started_at = self._sessions.rotate(claims.family_id, claims.token_id, new_token_id)
        if started_at is None or session_outlived(started_at, account.sessions_valid_after):
            # Revoked, reused (treated as theft) or ended by a suspension: the whole family goes.
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

    def _reserve_attempt(self, email: str, source_ip: str | None) -> list[str]:
        """Before any password is checked: count the attempt (any outcome, never given back), then reserve a
        failure on the email's and the IP's counters (given back when the password is right). RateLimited while
        either limit is used up (the same answer for every email, so it tells nothing about accounts).
        Returns the failure counters reserved."""
        if self._limiter is None:
            return []
        email_hash = hashlib.sha256(email.encode()).hexdigest()[:32]  # no addresses in the counters table
        keys = {"email": email_hash, "ip": source_ip}
        self._limiter.reserve(self._limits.attempts, keys)
        return self._limiter.reserve(self._limits.failures, keys)

    def _release(self, reserved: list[str]) -> None:
        """The password was right: the attempt is not a failure."""
        if self._limiter is not None:
            self._limiter.release(reserved)

    def _verify_dummy(self, password: str) -> None:
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash("dummy-password-for-timing")
        self._hasher.verify(self._dummy_hash, password)
