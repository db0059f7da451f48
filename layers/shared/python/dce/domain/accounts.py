"""Accounts, roles, card masking and the rules for names and emails."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from dce.domain.controls import ExchangeControls
from dce.domain.errors import ValidationFailed


class Role(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    ADMIN = "admin"


class AccountStatus(StrEnum):
    """`suspended`: every credential of the account is refused until an admin makes it `active` again."""

    ACTIVE = "active"
    SUSPENDED = "suspended"


class LedgerType(StrEnum):
    CHARGE = "charge"
    PAYOUT = "payout"
    CREDIT = "credit"


EMAIL_MAX = 254
PASSWORD_MIN, PASSWORD_MAX = 12, 128
COMPANY_MAX = 200
# An address as RFC 5321 spells the common case: a dot-atom local part of at most 64 characters (no leading,
# trailing or doubled dot) and a domain of at least two labels. The OpenAPI document gives it as the pattern.
_EMAIL = re.compile(
    r"^(?=[^@]{1,64}@)[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
EMAIL_PATTERN = _EMAIL.pattern
# Free text is plain text everywhere: what could hide, reorder or execute is refused rather than escaped.
# Characters: C0 and C1 controls (DEL too), bidi embeddings, overrides and isolates (U+202A-U+202E,
# U+2066-U+2069), zero-width characters (U+200B-U+200D, U+2060, U+FEFF), line and paragraph separators.
_HIDDEN_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200d\u2028-\u202e\u2060\u2066-\u2069\ufeff]")
_MARKUP = re.compile(r"[<>]|(?i:(?:java|vb)script\s*:|data\s*:\s*text/html|\bon[a-z]+\s*=)")


def normalise_email(raw: str) -> str:
    """Lowercase and check an email address; the error never echoes the input."""
    email = raw.strip().lower()
    if len(email) > EMAIL_MAX or not _EMAIL.match(email):
        raise ValidationFailed("Invalid email: expected an address such as name@example.com")
    return email


def check_password(password: str) -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValidationFailed(f"Invalid password: must be {PASSWORD_MIN} to {PASSWORD_MAX} characters")


def plain_text_problem(value: str) -> str | None:
    """Why `value` is not plain text (control, bidi or zero-width characters, markup), or None. Checked
    anywhere in the value, even where trimming would drop it: a CR/LF is never silently accepted."""
    if _HIDDEN_CHARACTERS.search(value):
        return "control, bidi and zero-width characters are not allowed"
    if _MARKUP.search(value):
        return "markup is not allowed"
    return None


def check_plain_text(value: str, field: str, max_length: int = COMPANY_MAX) -> str:
    """Return the text NFC-normalised and trimmed, refusing what `plain_text_problem` names, empty or overlong."""
    problem = plain_text_problem(value)
    if problem is not None:
        raise ValidationFailed(f"Invalid {field}: {problem}")
    text = unicodedata.normalize("NFC", value).strip()
    if not 1 <= len(text) <= max_length:
        raise ValidationFailed(f"Invalid {field}: must be 1 to {max_length} characters")
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
    # Money the account may spend beyond its balance (set by an admin), and the worst case of its calls in
    # flight (routed, not ended). Accounts stored before these existed read them as 0 (no rewrite needed).
    credit_limit: Decimal = Decimal("0.00")
    held: Decimal = Decimal("0.00")
    # Sessions (refresh-token families, access tokens) started before this are revoked: set by a suspension.
    sessions_valid_after: datetime | None = None
    # Its exchange settings (GET/PUT /account/settings): a seller's caps and hours, a buyer's duplicate window.
    controls: ExchangeControls = field(default_factory=ExchangeControls)

    @property
    def available(self) -> Decimal:
        """What the account can still commit: `balance + credit_limit - held`."""
        return self.balance + self.credit_limit - self.held


@dataclass(frozen=True, slots=True)
class Standing:
    """What every authenticated request checks of its account: the status, and since when sessions count."""

    status: AccountStatus
    sessions_valid_after: datetime | None = None


def session_outlived(started_at: datetime, valid_after: datetime | None) -> bool:
    """Whether a session (a refresh-token family, by its start) was revoked by a later suspension."""
    return valid_after is not None and started_at < valid_after


def token_outlived(issued_at: datetime, valid_after: datetime | None) -> bool:
    """Whether an access token was revoked by a suspension. Its `iat` has whole seconds only, so a token is
    revoked when issued in an earlier second than the suspension: one issued after a reactivation in the
    same second stays valid (one issued in that second before the suspension survives a reactivation too)."""
    return valid_after is not None and issued_at < valid_after.replace(microsecond=0)


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
