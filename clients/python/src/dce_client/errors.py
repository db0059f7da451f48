"""Typed exceptions: every error answer of the API becomes a `DceError` subclass chosen by HTTP status.

try:
    client.calls.get(call_id)
except NotFoundError as error:
    print(error.code, error.message, error.request_id)   # CALL_NOT_FOUND Call not found 3f1c...
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from dce_client import _json


@dataclass(frozen=True)
class FieldError:
    """One entry of an error's `details`: which field failed, and why."""

    field: str
    message: str


class DceError(Exception):
    """Any failure of a request to the exchange. `status` is None when no answer came (connection errors)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        details: tuple[FieldError, ...] = (),
        headers: httpx.Headers | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.details = details
        self.headers = headers if headers is not None else httpx.Headers()

    def __str__(self) -> str:
        head = " ".join(part for part in (str(self.status or ""), self.code or "") if part)
        tail = f" (request {self.request_id})" if self.request_id else ""
        return f"{head}: {self.message}{tail}" if head else f"{self.message}{tail}"


class DceConnectionError(DceError):
    """The exchange could not be reached, or the connection broke, after every retry."""


class BadRequestError(DceError):
    """400: VALIDATION_ERROR, INVALID_UUID, INVALID_STATE, NO_BIDS_AVAILABLE, BAD_REQUEST."""


class AuthenticationError(DceError):
    """401: UNAUTHORIZED, INVALID_CREDENTIALS, ACCOUNT_SUSPENDED."""


class PaymentRequiredError(DceError):
    """402: INSUFFICIENT_FUNDS."""


class PermissionDeniedError(DceError):
    """403: FORBIDDEN, ACCOUNT_SUSPENDED (log-in), DNC_BLOCKED, TCPA_VIOLATION, GEO_RESTRICTED, FRAUD_SUSPECTED."""


class NotFoundError(DceError):
    """404: NOT_FOUND, CALL_NOT_FOUND, AUCTION_NOT_FOUND, BID_NOT_FOUND, BID_PROFILE_NOT_FOUND, ACCOUNT_NOT_FOUND."""


class MethodNotAllowedError(DceError):
    """405: METHOD_NOT_ALLOWED."""


class ConflictError(DceError):
    """409: EMAIL_TAKEN, AUCTION_EXISTS, AUCTION_CLOSED, BID_BELOW_RESERVE, BID_NOT_HIGHER, IDEMPOTENCY_CONFLICT, ..."""


class PayloadTooLargeError(DceError):
    """413: PAYLOAD_TOO_LARGE."""


class UnsupportedMediaTypeError(DceError):
    """415: UNSUPPORTED_MEDIA_TYPE."""


class RateLimitedError(DceError):
    """429: RATE_LIMITED, after the client's own retries. `retry_after` is the server's advice in seconds."""

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(self.headers.get("retry-after"))


class ServerError(DceError):
    """5xx: INTERNAL_ERROR (500/502) and others, after the client's own retries."""


class ServiceUnavailableError(ServerError):
    """503: COMPLIANCE_UNAVAILABLE or an overloaded gateway; a later retry may succeed."""


BY_STATUS: dict[int, type[DceError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    429: RateLimitedError,
    503: ServiceUnavailableError,
}


def error_from_response(response: httpx.Response) -> DceError:
    """The exception for an error answer, from its `{"error": {code, message, request_id, details?}}` body."""
    status = response.status_code
    body: dict[str, Any] = {}
    try:
        parsed = _json.loads(response.content)
        if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
            body = parsed["error"]
    except ValueError:
        pass
    details = tuple(
        FieldError(str(item.get("field", "")), str(item.get("message", "")))
        for item in body.get("details") or ()
        if isinstance(item, dict)
    )
    kind = BY_STATUS.get(status) or (ServerError if status >= 500 else DceError)
    return kind(
        str(body.get("message") or response.reason_phrase or f"HTTP {status}"),
        status=status,
        code=str(body["code"]) if body.get("code") else None,
        request_id=str(body.get("request_id") or response.headers.get("x-request-id") or "") or None,
        details=details,
        headers=response.headers,
    )


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds (the exchange sends whole seconds; an HTTP date is honoured too)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
