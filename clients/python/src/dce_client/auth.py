"""How the client authenticates: an API key, or bearer tokens from a log-in that it refreshes itself.

The access token lasts 15 minutes. Shortly before it expires (or when the server answers 401
UNAUTHORIZED) the client trades the refresh token for a new pair (`POST /auth/refresh`); refresh
tokens rotate and are single-use, so only one refresh runs at a time and it is never re-sent blindly.
When the refresh fails and the client knows the password, it logs in again.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from dce_client import _ops
from dce_client.models import Tokens

REFRESH_MARGIN_S = 30.0  # refresh this long before the access token expires


@dataclass
class Session:
    """The credentials of one client and its current tokens (shared by its sync or async transport)."""

    api_key: str | None = None
    email: str | None = None
    password: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    expires_at: float | None = None  # Unix time; from the token's `exp`, else `expires_in`
    on_tokens: Callable[[Tokens], None] | None = None  # told of every new pair (e.g. to store it)
    tokens: Tokens | None = None  # the last pair this client received

    @property
    def uses_tokens(self) -> bool:
        return self.api_key is None and (self.access_token is not None or self.can_renew)

    @property
    def can_renew(self) -> bool:
        return self.refresh_token is not None or self.can_log_in

    @property
    def can_log_in(self) -> bool:
        return self.email is not None and self.password is not None

    def headers(self) -> dict[str, str]:
        if self.api_key is not None:
            return {"X-API-Key": self.api_key}
        if self.access_token is not None:
            return {"Authorization": f"Bearer {self.access_token}"}
        return {}

    def stale(self, now: float | None = None) -> bool:
        """Whether a new access token is needed before the next request."""
        if self.api_key is not None:
            return False
        if self.access_token is None:
            return self.can_renew
        if self.expires_at is None or not self.can_renew:
            return False
        return (now if now is not None else time.time()) >= self.expires_at - REFRESH_MARGIN_S

    def refresh_operation(self) -> _ops.Operation[Tokens] | None:
        return _ops.refresh_tokens(self.refresh_token) if self.refresh_token else None

    def log_in_operation(self) -> _ops.Operation[Tokens] | None:
        if self.email is None or self.password is None:
            return None
        return _ops.log_in(self.email, self.password)

    def apply(self, tokens: Tokens, now: float | None = None) -> None:
        self.tokens = tokens
        self.access_token, self.refresh_token = tokens.access_token, tokens.refresh_token
        issued = now if now is not None else time.time()
        self.expires_at = token_expiry(tokens.access_token) or issued + tokens.expires_in
        if self.on_tokens is not None:
            self.on_tokens(tokens)

    def set_access_token(self, access_token: str, refresh_token: str | None = None) -> None:
        self.access_token, self.refresh_token = access_token, refresh_token
        self.expires_at = token_expiry(access_token)


def token_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT, read without checking the signature (only to schedule a refresh)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None
