"""Opaque, tamper-proof list cursors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from decimal import Decimal
from typing import Any

from dce.domain.errors import ValidationFailed

MAX_CURSOR_LENGTH = 2048
# What `encode` gives: unpadded base64url (the document's pattern). Empty means the first page.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"
_CURSOR = re.compile(CURSOR_PATTERN)


class CursorCodec:
    """Encodes a DynamoDB `LastEvaluatedKey` as base64url JSON plus an HMAC, so clients cannot forge one.

    The HMAC also covers a `scope` (the list and the caller): a cursor replayed on another list or by
    another caller is refused instead of reaching DynamoDB as a start key that does not fit the query."""

    def __init__(self, key: str) -> None:
        self._key = hashlib.sha256(b"cursor:" + key.encode()).digest()

    def encode(self, last_key: dict[str, Any] | None, scope: str = "") -> str | None:
        if not last_key:
            return None
        payload = json.dumps(last_key, default=_json_default, separators=(",", ":"), sort_keys=True).encode()
        mac = self._mac(payload, scope)
        return base64.urlsafe_b64encode(mac + payload).decode().rstrip("=")

    def decode(self, cursor: str | None, scope: str = "") -> dict[str, Any] | None:
        if not cursor:
            return None
        try:
            if len(cursor) > MAX_CURSOR_LENGTH or not _CURSOR.fullmatch(cursor):
                raise ValueError("too long or not base64url")
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            mac, payload = raw[:16], raw[16:]
            if not hmac.compare_digest(mac, self._mac(payload, scope)):
                raise ValueError("bad mac")
            value = json.loads(payload, parse_float=Decimal)
            if not isinstance(value, dict):
                raise ValueError("not an object")
            return value
        except (ValueError, TypeError) as exc:
            raise ValidationFailed("Invalid cursor") from exc

    def _mac(self, payload: bytes, scope: str) -> bytes:
        return hmac.new(self._key, scope.encode() + b"\0" + payload, hashlib.sha256).digest()[:16]


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    raise TypeError(type(value).__name__)
