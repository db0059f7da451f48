"""Errors → HTTP, in one place: the status for every contract code and the error body shape."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.shared.json_encoder import Encoder

from dce.domain.errors import DomainError, SuspendedAccountLogin

STATUS_BY_CODE: dict[str, int] = {
    "BAD_REQUEST": 400,
    "VALIDATION_ERROR": 400,
    "INVALID_UUID": 400,
    "INVALID_STATE": 400,
    "NO_BIDS_AVAILABLE": 400,
    "UNAUTHORIZED": 401,
    "INVALID_CREDENTIALS": 401,
    "ACCOUNT_SUSPENDED": 401,  # a credential of a suspended account; its log-in is 403 (STATUS_BY_ERROR)
    "INSUFFICIENT_FUNDS": 402,
    "FORBIDDEN": 403,
    "DNC_BLOCKED": 403,
    "TCPA_VIOLATION": 403,
    "GEO_RESTRICTED": 403,
    "FRAUD_SUSPECTED": 403,
    "NOT_FOUND": 404,
    "CALL_NOT_FOUND": 404,
    "AUCTION_NOT_FOUND": 404,
    "BID_NOT_FOUND": 404,
    "BID_PROFILE_NOT_FOUND": 404,
    "ACCOUNT_NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "CONFLICT": 409,
    "EMAIL_TAKEN": 409,
    "AUCTION_EXISTS": 409,
    "AUCTION_CLOSED": 409,
    "BID_BELOW_RESERVE": 409,
    "BID_NOT_HIGHER": 409,
    "IDEMPOTENCY_CONFLICT": 409,
    "LIMIT_EXCEEDED": 409,  # a fair-use cap (bid profiles per seller)
    "PAYLOAD_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "RATE_LIMITED": 429,
    "INTERNAL_ERROR": 500,
    "COMPLIANCE_UNAVAILABLE": 503,  # fail closed: a call whose compliance check could not be made
}

# Errors whose status differs from their code's: the same contract code, another situation.
STATUS_BY_ERROR: dict[type[DomainError], int] = {
    SuspendedAccountLogin: 403,  # the password was right: the caller is known, and refused
}


def status_of(error: DomainError) -> int:
    """The HTTP status of a domain error: its class's own (STATUS_BY_ERROR), else its code's."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return STATUS_BY_CODE[error.code]


def json_text(value: Any) -> str:
    """A JSON response body: compact, ending with a newline so that terminal output (curl) stays apart."""
    return json.dumps(value, separators=(",", ":"), cls=Encoder) + "\n"


def error_body(code: str, message: str, request_id: str, details: list[dict[str, Any]] | None = None) -> str:
    error: dict[str, Any] = {"code": code, "message": message, "request_id": request_id}
    if details:
        error["details"] = details
    return json_text({"error": error})


def error_headers(
    code: str, request_id: str, retry_after: int | None = None, status: int | None = None
) -> dict[str, str]:
    headers = {"X-Request-Id": request_id}
    if (status or STATUS_BY_CODE.get(code)) == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="dce"'
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return headers


def error_response(
    code: str,
    message: str,
    request_id: str,
    details: list[dict[str, Any]] | None = None,
    retry_after: int | None = None,
    status: int | None = None,
) -> Response[str]:
    return Response(
        status_code=status or STATUS_BY_CODE[code],
        content_type=content_types.APPLICATION_JSON,
        body=error_body(code, message, request_id, details),
        headers=error_headers(code, request_id, retry_after, status),
    )


def domain_error_response(error: DomainError, request_id: str) -> Response[str]:
    return error_response(error.code, error.message, request_id, error.details, error.retry_after, status_of(error))


# pydantic error types whose message quotes the client's input; we say something generic instead.
_ECHOING_TYPES = frozenset({"uuid_parsing", "json_invalid", "url_parsing", "date_from_datetime_parsing"})


# The contract's words for a field where they are not its JSON name, so that every failure of the field reads
# the same ("Invalid from number: ..." whether the schema or the phone parser refuses it).
FIELD_WORDS: dict[str, str] = {"from_number": "from number", "to_number": "to number", "phone_number": "phone number"}
# The contract's own sentence for a field's failure, by (field, pydantic error type).
CONTRACT_MESSAGES: dict[tuple[str, str], str] = {
    ("reserve_price", "greater_than_equal"): "Reserve price cannot be negative",
}


def safe_validation_message(field: str, error: Mapping[str, Any]) -> str:
    """A field error message that never echoes client input (messages name only our constraints)."""
    kind = str(error.get("type", ""))
    if (field, kind) in CONTRACT_MESSAGES:
        return CONTRACT_MESSAGES[(field, kind)]
    field = FIELD_WORDS.get(field, field)
    if kind in _ECHOING_TYPES:
        text = "has an invalid format"
    elif kind in ("enum", "literal_error") and isinstance(error.get("ctx"), Mapping):
        text = f"must be one of {error['ctx'].get('expected', '')}"
    else:
        text = str(error.get("msg", "is invalid"))
    text = text.replace("<", "").replace(">", "").replace("`", "")
    return f"Invalid {field}: {text[:200]}"
