"""Typed domain errors. Each carries a contract error code and a safe message; no HTTP here.

The HTTP status for each error lives in one place: `dce.api.errors.STATUS_BY_CODE`.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every expected, client-facing error."""

    code = "BAD_REQUEST"
    default_message = "Bad request"
    retry_after: int | None = None  # seconds; set when retrying later can succeed (429)

    def __init__(self, message: str | None = None, details: list[dict[str, Any]] | None = None) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)


class ValidationFailed(DomainError):
    code = "VALIDATION_ERROR"
    default_message = "Invalid request"


class InvalidUuid(DomainError):
    code = "INVALID_UUID"
    default_message = "Invalid id: must be a UUID"


class InvalidState(DomainError):
    code = "INVALID_STATE"
    default_message = "Invalid state transition"


class Unauthorized(DomainError):
    code = "UNAUTHORIZED"
    default_message = "Authentication required"


class InvalidCredentials(DomainError):
    code = "INVALID_CREDENTIALS"
    default_message = "Invalid email or password"


class AccountSuspended(DomainError):
    """A credential (access token, refresh token, API key) of a suspended account: refused (401)."""

    code = "ACCOUNT_SUSPENDED"
    default_message = "This account is suspended"


class SuspendedAccountLogin(AccountSuspended):
    """The right password of a suspended account: the same code, but the caller did authenticate (403)."""


class InsufficientFunds(DomainError):
    code = "INSUFFICIENT_FUNDS"
    default_message = "Insufficient funds: the account balance is below zero"


class Forbidden(DomainError):
    code = "FORBIDDEN"
    default_message = "You do not have permission to perform this action"


class FraudSuspected(DomainError):
    code = "FRAUD_SUSPECTED"
    default_message = "Request refused: unusual activity on this account"


class NotFound(DomainError):
    code = "NOT_FOUND"
    default_message = "Resource not found"


class CallNotFound(NotFound):
    code = "CALL_NOT_FOUND"
    default_message = "Call not found"


class AccountNotFound(NotFound):
    code = "ACCOUNT_NOT_FOUND"
    default_message = "Account not found"


class ApiKeyNotFound(NotFound):
    default_message = "API key not found"


class RateLimited(DomainError):
    code = "RATE_LIMITED"
    default_message = "Too many requests: retry later"

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


class EmailTaken(DomainError):
    code = "EMAIL_TAKEN"
    default_message = "An account with this email already exists"


class Conflict(DomainError):
    code = "CONFLICT"
    default_message = "The resource was changed concurrently; retry the request"


class AuctionNotFound(NotFound):
    code = "AUCTION_NOT_FOUND"
    default_message = "Auction not found"


class BidProfileNotFound(NotFound):
    code = "BID_PROFILE_NOT_FOUND"
    default_message = "Bid profile not found"


class BidNotFound(NotFound):
    code = "BID_NOT_FOUND"
    default_message = "Bid not found"


class AuctionExists(DomainError):
    code = "AUCTION_EXISTS"
    default_message = "This call already has an auction"


class AuctionClosed(DomainError):
    code = "AUCTION_CLOSED"
    default_message = "The auction is closed"


class BidBelowReserve(DomainError):
    code = "BID_BELOW_RESERVE"
    default_message = "The bid is below the auction's reserve price"


class BidNotHigher(DomainError):
    code = "BID_NOT_HIGHER"
    default_message = "A new bid must be higher than your current bid"


class LimitExceeded(DomainError):
    """A fair-use cap on what one account may hold (e.g. bid profiles per seller) is reached."""

    code = "LIMIT_EXCEEDED"
    default_message = "Limit reached: delete something first"


class NoBidsAvailable(DomainError):
    code = "NO_BIDS_AVAILABLE"
    default_message = "No bids available for this call"


class DncBlocked(DomainError):
    code = "DNC_BLOCKED"
    default_message = "Call refused: the number is on a DNC (Do Not Call) list"


class TcpaViolation(DomainError):
    code = "TCPA_VIOLATION"
    default_message = "Call refused: outside TCPA calling hours in the called party's local time"


class GeoRestricted(DomainError):
    code = "GEO_RESTRICTED"
    default_message = "Call refused: geographic restriction on the number's location"


class ComplianceUnavailable(DomainError):
    """A compliance check could not be made (store error): the call is refused, never let through."""

    code = "COMPLIANCE_UNAVAILABLE"
    default_message = "Call refused: compliance checks are unavailable, retry later"


class SellerAtCapacity(Exception):
    """Not a client error: routing found the seller at its concurrent-call or daily cap (the counter's
    conditional write failed), and goes on to the next eligible bid."""

    def __init__(self, seller_id: str) -> None:
        self.seller_id = seller_id
        super().__init__(f"seller {seller_id} is at a cap")
