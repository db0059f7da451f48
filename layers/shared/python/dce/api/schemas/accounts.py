"""Request and response bodies for accounts, auth, API keys and admin."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict

from dce.api.schemas.common import PLAIN_TEXT, Email, Id, Money, MoneyOut, Timestamp
from dce.domain.accounts import Account, ApiKey, LedgerEntry
from dce.domain.money import CURRENCY

# repr=False on card data, passwords and tokens: Powertools logs route arguments (their repr) at DEBUG.
# 12 to 19 digits, spaces and dashes between them ignored (CardOnFile.from_input); Luhn-checked too.
CARD_NUMBER_PATTERN = r"^(?=(?:[ -]*[0-9]){12,19}[ -]*$)[0-9 -]+$"


class PaymentInfoIn(BaseModel):
    card_number: str = Field(
        min_length=12,
        max_length=23,
        repr=False,
        description="12 to 19 digits (spaces and dashes ignored) passing the Luhn check",
        json_schema_extra={"pattern": CARD_NUMBER_PATTERN},
    )
    cvv: str = Field(min_length=3, max_length=4, repr=False, json_schema_extra={"pattern": r"^[0-9]{3,4}$"})
    expiry: str | None = Field(
        default=None, max_length=5, description="MM/YY", json_schema_extra={"pattern": r"^(0[1-9]|1[0-2])/[0-9]{2}$"}
    )


CompanyName = Annotated[str, StringConstraints(min_length=1, max_length=200), PLAIN_TEXT]
Password = Annotated[str, StringConstraints(min_length=12, max_length=128)]
SIGN_UP_EXAMPLE: JsonDict = {
    "email": "ops@acme-leads.example.com",
    "password": "correct-horse-battery-staple",
    "company_name": "Acme Leads",
    "type": "buyer",
}


class SignUpIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SIGN_UP_EXAMPLE]})

    email: Email
    password: Password | None = Field(
        default=None, repr=False, description="Without one the account gets an API key instead (`api_key`)"
    )
    company_name: CompanyName
    # `admin` is refused with 403 FORBIDDEN (not 400): admins are created by POST /admin/users.
    type: Literal["buyer", "seller", "admin"] = Field(
        json_schema_extra={"enum": ["buyer", "seller"], "description": "`admin` is refused: 403 FORBIDDEN"}
    )
    payment_info: PaymentInfoIn | None = None


class AdminUserIn(SignUpIn):
    """Admins may create any type of account, admins included."""

    model_config = ConfigDict(json_schema_extra={"examples": [{**SIGN_UP_EXAMPLE, "type": "admin"}]})

    type: Literal["buyer", "seller", "admin"]


class LoginIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"email": SIGN_UP_EXAMPLE["email"], "password": SIGN_UP_EXAMPLE["password"]}]}
    )

    # Any text: what is not a known address is 401 INVALID_CREDENTIALS, like a wrong password.
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=128, repr=False)


class RefreshIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"refresh_token": "<refresh token from POST /auth/login>"}]}
    )

    refresh_token: str = Field(min_length=1, max_length=4096, repr=False)


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "dialer"}]})

    name: Annotated[str, StringConstraints(min_length=1, max_length=100), PLAIN_TEXT] | None = None


class CreditIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"amount": 250.00, "reason": "wire transfer 2025-06-18"}]}
    )

    amount: Annotated[Decimal, Money(ge=Decimal("0.01"), le=Decimal("1000000.00"))]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=200), PLAIN_TEXT]


class AccountChangeIn(BaseModel):
    """PATCH /admin/accounts/{id}: only the fields given change."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"credit_limit": 500.00}, {"status": "suspended"}]})

    credit_limit: Annotated[Decimal, Money(ge=Decimal("0.00"), le=Decimal("1000000.00"))] | None = None
    status: Literal["active", "suspended"] | None = None


class PaymentInfoOut(BaseModel):
    card_number: str
    brand: str
    expiry: str | None = None


class AccountOut(BaseModel):
    id: Id
    email: Annotated[str, Field(json_schema_extra={"format": "email"})]
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
    id: Id
    type: Literal["charge", "payout", "credit"]
    amount: MoneyOut
    call_id: Id | None = None
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
    id: Id
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
