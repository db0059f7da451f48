"""Accounts, tokens, API keys, balance and ledger."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from dce_client.models._base import Model, Money


class AccountType(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    ADMIN = "admin"


class AccountStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class PaymentInfo(Model):
    card_number: str  # masked: "****1111"
    brand: str
    expiry: str | None = None


class Account(Model):
    id: UUID
    email: str
    company_name: str
    type: AccountType
    balance: Money
    credit_limit: Money
    status: AccountStatus
    currency: str = "USD"
    payment_info: PaymentInfo | None = None
    created_at: datetime
    updated_at: datetime
    api_key: str | None = None  # only in the sign-up answer of an account without password


class Tokens(Model):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 (the scheme name, not a secret)
    expires_in: int


class Balance(Model):
    balance: Money
    held: Money
    available: Money
    credit_limit: Money
    currency: str = "USD"


class TransactionType(StrEnum):
    CHARGE = "charge"
    PAYOUT = "payout"
    CREDIT = "credit"


class Transaction(Model):
    id: UUID
    type: TransactionType
    amount: Money
    balance_after: Money
    call_id: UUID | None = None
    reason: str | None = None
    created_at: datetime


class ApiKey(Model):
    id: UUID
    name: str | None = None
    created_at: datetime


class NewApiKey(ApiKey):
    api_key: str | None  # the secret, shown once; None in a replay


class Health(Model):
    status: str
