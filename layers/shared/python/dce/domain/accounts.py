"""Accounts, roles, card masking and the rules for names and emails."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from dce.domain.errors import ValidationFailed


class Role(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    ADMIN = "admin"


class LedgerType(StrEnum):
    CHARGE = "charge"
    PAYOUT = "payout"
    CREDIT = "credit"


EMAIL_MAX = 254
PASSWORD_MIN, PASSWORD_MAX = 12, 128
COMPANY_MAX = 200
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
# Markup and control characters are refused rather than escaped: a name is plain text everywhere.
_UNSAFE_TEXT = re.compile(r"[<>\x00-\x1f\x7f]|(?i:(?:java|vb)script\s*:|data\s*:\s*text/html|\bon[a-z]+\s*=)")


def normalise_email(raw: str) -> str:
    """Lowercase and check an email address; the error never echoes the input."""
    email = raw.strip().lower()
    if len(email) > EMAIL_MAX or not _EMAIL.match(email):
        raise ValidationFailed("Invalid email: expected an address such as name@example.com")
    return email


def check_password(password: str) -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValidationFailed(f"Invalid password: must be {PASSWORD_MIN} to {PASSWORD_MAX} characters")


def check_plain_text(value: str, field: str, max_length: int = COMPANY_MAX) -> str:
    """Return trimmed text, refusing empty, overlong, markup or control characters (anywhere, even
    where trimming would drop them: a CR/LF is never silently accepted)."""
    text = value.strip()
    if not 1 <= len(text) <= max_length:
        raise ValidationFailed(f"Invalid {field}: must be 1 to {max_length} characters")
    if _UNSAFE_TEXT.search(value):
        raise ValidationFailed(f"Invalid {field}: markup and control characters are not allowed")
    return text


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    if number.startswith("6011") or number.startswith("65"):
        return "discover"
    return "unknown"


def _ascii_digits(text: str) -> bool:
    """0-9 only: `str.isdigit` also accepts other scripts' digits and superscripts, which int() may refuse."""
    return text.isascii() and text.isdigit()


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


@dataclass(frozen=True, slots=True)
class CardOnFile:
    """What we keep of a payment card: brand and last four digits. Never the number or the CVV."""

    brand: str
    last4: str
    expiry: str | None = None

    @classmethod
    def from_input(cls, card_number: str, cvv: str, expiry: str | None) -> CardOnFile:
        digits = card_number.replace(" ", "").replace("-", "")
        if not _ascii_digits(digits) or not 12 <= len(digits) <= 19 or not luhn_ok(digits):
            raise ValidationFailed("Invalid card_number: not a valid card number")
        if not _ascii_digits(cvv) or len(cvv) not in (3, 4):
            raise ValidationFailed("Invalid cvv: must be 3 or 4 digits")
        if expiry is not None and not re.fullmatch(r"(0[1-9]|1[0-2])/[0-9]{2}", expiry):
            raise ValidationFailed("Invalid expiry: expected MM/YY")
        return cls(brand=card_brand(digits), last4=digits[-4:], expiry=expiry)

    @property
    def masked(self) -> str:
        return f"****{self.last4}"


@dataclass(frozen=True, slots=True)
class Account:
    """A buyer, seller or admin account. `balance` is USD as Decimal cents."""

    id: str
    email: str
    company_name: str
    role: Role
    balance: Decimal
    created_at: datetime
    updated_at: datetime
    version: int = 0
    password_hash: str | None = None
    card: CardOnFile | None = None
    status: str = "active"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One movement of money on one account, with the balance right after it."""

    id: str
    account_id: str
    type: LedgerType
    amount: Decimal
    balance_after: Decimal
    created_at: datetime
    call_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key record; the secret itself is stored only as a hash."""

    id: str
    account_id: str
    role: Role
    name: str | None
    secret_hash: str
    created_at: datetime
    revoked: bool = False
