"""JWT access and refresh tokens (HS256 only, algorithm pinned) and API key secrets."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from dce.config import JWT_AUDIENCE, JWT_ISSUER, REFRESH_AUDIENCE
from dce.domain.accounts import Role
from dce.domain.errors import Unauthorized
from dce.domain.principal import Principal

ALGORITHM = "HS256"
MAX_TOKEN_LENGTH = 4096
API_KEY_PREFIX = "dce_"
_REQUIRED = ["exp", "iat", "sub", "iss", "aud", "jti"]


@dataclass(frozen=True, slots=True)
class AccessClaims:
    principal: Principal
    issued_at: datetime  # `iat`: whole seconds
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class RefreshClaims:
    account_id: str
    family_id: str
    token_id: str


class TokenCodec:
    def __init__(self, secret: str, access_ttl: int, refresh_ttl: int) -> None:
        self._secret = secret
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl

    def access_token(self, principal: Principal, now: datetime, token_id: str) -> str:
        claims = {
            "sub": principal.account_id,
            "role": principal.role.value,
            "iss": JWT_ISSUER,
            "aud": JWT_AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=self.access_ttl)).timestamp()),
            "jti": token_id,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def refresh_token(self, account_id: str, family_id: str, token_id: str, now: datetime) -> str:
        claims = {
            "sub": account_id,
            "fam": family_id,
            "typ": "refresh",
            "iss": JWT_ISSUER,
            "aud": REFRESH_AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=self.refresh_ttl)).timestamp()),
            "jti": token_id,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify_access(self, token: str) -> Principal:
        return self.verify_access_until(token)[0]

    def verify_access_until(self, token: str) -> tuple[Principal, datetime]:
        """The caller of a valid access token, and when the token expires (its `exp`)."""
        claims = self.verify_access_claims(token)
        return claims.principal, claims.expires_at

    def verify_access_claims(self, token: str) -> AccessClaims:
        """The caller of a valid access token, when it was issued (`iat`) and when it expires (`exp`)."""
        claims = self._decode(token, JWT_AUDIENCE)
        if "typ" in claims:  # refresh tokens (and anything else typed) are not access tokens
            raise Unauthorized("Invalid token")
        try:
            role = Role(str(claims.get("role")))
            issued_at = datetime.fromtimestamp(int(claims["iat"]), UTC)
        except (ValueError, TypeError, OverflowError, OSError) as exc:
            raise Unauthorized("Invalid token") from exc
        principal = Principal(account_id=str(claims["sub"]), role=role)
        return AccessClaims(principal, issued_at, datetime.fromtimestamp(int(claims["exp"]), UTC))

    def verify_refresh(self, token: str) -> RefreshClaims:
        claims = self._decode(token, REFRESH_AUDIENCE)
        if claims.get("typ") != "refresh" or not isinstance(claims.get("fam"), str):
            raise Unauthorized("Invalid refresh token")
        return RefreshClaims(str(claims["sub"]), claims["fam"], str(claims["jti"]))

    def _decode(self, token: str, audience: str) -> dict[str, Any]:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise Unauthorized("Invalid token")
        try:
            return jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=JWT_ISSUER,
                options={"require": _REQUIRED},
                leeway=5,
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("Token expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("Invalid token") from exc


def new_api_key_secret(key_id: str) -> str:
    """`dce_<key id without dashes>_<random>`: the id lets the authorizer find the record in one read."""
    return f"{API_KEY_PREFIX}{key_id.replace('-', '')}_{secrets.token_urlsafe(32)}"


def hash_api_key(api_key: str) -> str:
    # A fast hash is right here: the secret has 256 bits of entropy, unlike a password.
    return hashlib.sha256(api_key.encode()).hexdigest()


def api_key_id(api_key: str) -> str | None:
    """The key id embedded in an API key, or None when it is not shaped like one of ours."""
    if not api_key.startswith(API_KEY_PREFIX) or len(api_key) > 200:
        return None
    raw = api_key[len(API_KEY_PREFIX) :].split("_", 1)[0]
    if len(raw) != 32 or any(c not in "0123456789abcdef" for c in raw):
        return None
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
