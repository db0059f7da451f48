"""Log-in and refresh-token rotation. A reused refresh token revokes its whole family."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from dce.domain.accounts import Account, normalise_email
from dce.domain.errors import InvalidCredentials, Unauthorized, ValidationFailed
from dce.domain.principal import Principal
from dce.ports import AccountRepo, Clock, IdGen, PasswordHasher, SessionRepo
from dce.services.tokens import TokenCodec


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 (a token type, not a secret)


class AuthService:
    def __init__(
        self,
        accounts: AccountRepo,
        sessions: SessionRepo,
        hasher: PasswordHasher,
        codec: TokenCodec,
        clock: Clock,
        ids: IdGen,
    ) -> None:
        self._accounts, self._sessions, self._hasher = accounts, sessions, hasher
        self._codec, self._clock, self._ids = codec, clock, ids
        self._dummy_hash: str | None = None

    def login(self, email: str, password: str) -> TokenPair:
        try:
            email = normalise_email(email)
        except ValidationFailed as exc:
            raise InvalidCredentials() from exc
        account = self._accounts.find_by_email(email)
        if account is None or account.password_hash is None or account.status != "active":
            self._verify_dummy(password)  # same cost whether or not the email exists
            raise InvalidCredentials()
        if not self._hasher.verify(account.password_hash, password):
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

    def _verify_dummy(self, password: str) -> None:
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash("dummy-password-for-timing")
        self._hasher.verify(self._dummy_hash, password)
