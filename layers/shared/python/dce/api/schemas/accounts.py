"""Request and response bodies for accounts, auth, API keys and admin."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from dce.api.schemas.common import PLAIN_TEXT, Money, MoneyOut, Timestamp
from dce.domain.accounts import Account, ApiKey, LedgerEntry
from dce.domain.money import CURRENCY


# repr=False on card data, passwords and tokens: Powertools logs route arguments (their repr) at DEBUG.
class PaymentInfoIn(BaseModel):
    card_number: str = Field(min_length=12, max_length=23, repr=False)
    cvv: str = Field(min_length=3, max_length=4, repr=False)
    expiry: str | None = Field(default=None, max_length=5)


class SignUpIn(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    password: str | None = Field(default=None, min_length=12, max_length=128, repr=False)
    company_name: Annotated[str, StringConstraints(min_length=1, max_length=200), PLAIN_TEXT]
    type: Literal["buyer", "seller", "admin"]
    payment_info: PaymentInfoIn | None = None


class AdminUserIn(SignUpIn):
    """Admins may create any type of account, admins included."""


class LoginIn(BaseModel):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=128, repr=False)


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=4096, repr=False)


class ApiKeyIn(BaseModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100), PLAIN_TEXT] | None = None


class CreditIn(BaseModel):
    amount: Annotated[Decimal, Money(ge=Decimal("0.01"), le=Decimal("1000000.00"))]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=200), PLAIN_TEXT]


class AccountChangeIn(BaseModel):
    """PATCH /admin/accounts/{id}: only the fields given change."""

    credit_limit: Annotated[Decimal, Money(ge=Decimal("0.00"), le=Decimal("1000000.00"))] | None = None
    status: Literal["active", "suspended"] | None = None


class PaymentInfoOut(BaseModel):
    card_number: str
    brand: str
    expiry: str | None = None


class AccountOut(BaseModel):
    id: str
    email: str
    company_name: str
    type: str
    balance: MoneyOut
    credit_limit: MoneyOut
    status: Literal["active", "suspended"]
    currency: str = CURRENCY
    payment_info: PaymentInfoOut | None = None
    created_at: Timestamp
    updated_at: Timestamp
    api_key: str | None = Field(
        default=None,
        description="Only in the sign-up response of an account without password; null in a replay of it",
    )

    @classmethod
    def of(cls, account: Account, api_key: str | None = None) -> AccountOut:
        card = account.card
        return cls(
            id=account.id,
            email=account.email,
            company_name=account.company_name,
            type=account.role.value,
            balance=account.balance,
            credit_limit=account.credit_limit,
            status="suspended" if account.status == "suspended" else "active",
            payment_info=PaymentInfoOut(card_number=card.masked, brand=card.brand, expiry=card.expiry)
            if card
            else None,
            created_at=account.created_at,
            updated_at=account.updated_at,
            api_key=api_key,
        )


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105
    expires_in: int


class BalanceOut(BaseModel):
    balance: MoneyOut
    held: MoneyOut = Field(description="The worst case of the account's calls in flight (routed, not ended)")
    available: MoneyOut = Field(description="balance + credit_limit - held: what routing can still hold")
    credit_limit: MoneyOut
    currency: str = CURRENCY

    @classmethod
    def of(cls, account: Account) -> BalanceOut:
        return cls(
            balance=account.balance,
            held=account.held,
            available=account.available,
            credit_limit=account.credit_limit,
        )


class TransactionOut(BaseModel):
    id: str
    type: Literal["charge", "payout", "credit"]
    amount: MoneyOut
    call_id: str | None = None
    balance_after: MoneyOut
    reason: str | None = None
    created_at: Timestamp

    @classmethod
    def of(cls, e: LedgerEntry) -> TransactionOut:
        return cls(
            id=e.id,
            type=e.type.value,
            amount=e.amount,
            call_id=e.call_id,
            balance_after=e.balance_after,
            reason=e.reason,
            created_at=e.created_at,
        )


class ApiKeyOut(BaseModel):
    id: str
    name: str | None = None
    created_at: Timestamp

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        return cls(id=key.id, name=key.name, created_at=key.created_at)


class NewApiKeyOut(ApiKeyOut):
    # Always a string in the creating response; null in a replay of it (Idempotency-Key): never shown twice.
    api_key: str | None = Field(description="The secret, shown once; null when this response is a replay")


class HealthOut(BaseModel):
    status: Literal["ok"] = "ok"
