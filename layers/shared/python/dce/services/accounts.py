"""Use cases for accounts: sign-up, profiles, balances, credits and the ledger."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from dce.domain.accounts import (
    Account,
    CardOnFile,
    LedgerEntry,
    LedgerType,
    Role,
    check_password,
    check_plain_text,
    normalise_email,
)
from dce.domain.errors import AccountNotFound, Conflict, EmailTaken, Forbidden, ValidationFailed
from dce.domain.money import to_cents
from dce.domain.pages import Page
from dce.ports import AccountRepo, Clock, IdGen, PasswordHasher
from dce.services.api_keys import ApiKeyService
from dce.services.retry import backoff
from dce.services.windowed_limits import WindowedLimit, WindowedLimits

MAX_CREDIT = Decimal("1000000.00")
ACCOUNT_STATUSES = ("active", "suspended")
RETRIES = 8
# Fair use: sign-ups per client IP a minute (each may cost a password hash).
SIGNUPS = WindowedLimit("signup", 60, {"ip": 120}, "Too many sign-ups: retry later")


@dataclass(frozen=True, slots=True)
class NewAccount:
    email: str
    company_name: str
    role: Role
    password: str | None = None
    card_number: str | None = None
    cvv: str | None = None
    expiry: str | None = None


class AccountService:
    def __init__(
        self,
        repo: AccountRepo,
        api_keys: ApiKeyService,
        hasher: PasswordHasher,
        clock: Clock,
        ids: IdGen,
        signup_credit: Decimal,
        limiter: WindowedLimits | None = None,
        signups: WindowedLimit = SIGNUPS,
    ) -> None:
        self._repo, self._keys, self._hasher = repo, api_keys, hasher
        self._clock, self._ids, self._signup_credit = clock, ids, signup_credit
        self._limiter, self._signups = limiter, signups

    def sign_up(self, new: NewAccount, source_ip: str | None = None) -> tuple[Account, str | None]:
        """Public sign-up: buyers and sellers only, at most `signups` per client IP and window (429 past it,
        counted before any password is hashed, whatever the outcome)."""
        if new.role is Role.ADMIN:
            raise Forbidden("Admin accounts cannot be created by sign-up")
        if self._limiter is not None:
            self._limiter.reserve(self._signups, {"ip": source_ip})
        return self.create(new)

    def create(self, new: NewAccount) -> tuple[Account, str | None]:
        """Create an account (admins may create admins). Returns the account and a one-time API key
        when it has no password."""
        email = normalise_email(new.email)
        company = check_plain_text(new.company_name, "company_name")
        card = None
        if new.card_number is not None or new.cvv is not None:
            if not new.card_number or not new.cvv:
                raise ValidationFailed("Invalid payment_info: card_number and cvv are both required")
            card = CardOnFile.from_input(new.card_number, new.cvv, new.expiry)
        password_hash = None
        if new.password is not None:
            check_password(new.password)
            if self._repo.find_by_email(email) is not None:  # a taken email costs no hash (the put still checks)
                raise EmailTaken()
            password_hash = self._hasher.hash(new.password)
        now = self._clock.now()
        credit = self._signup_credit if new.role is Role.BUYER else Decimal("0.00")
        account = Account(
            id=self._ids.new_id(),
            email=email,
            company_name=company,
            role=new.role,
            balance=credit,
            created_at=now,
            updated_at=now,
            password_hash=password_hash,
            card=card,
        )
        opening = None
        if credit > 0:
            opening = LedgerEntry(
                self._ids.new_id(), account.id, LedgerType.CREDIT, credit, credit, now, reason="signup credit"
            )
        self._repo.create(account, opening)
        api_key = None if password_hash else self._keys.issue(account, "default")[1]
        return account, api_key

    def get(self, account_id: str) -> Account:
        account = self._repo.get(account_id)
        if account is None:
            raise AccountNotFound()
        return account

    def recent(self, limit: int, start: dict[str, Any] | None) -> Page[Account]:
        return self._repo.recent(limit, start)

    def credit(self, account_id: str, amount: Decimal, reason: str) -> Account:
        """Add money to an account with a `credit` ledger entry, atomically (optimistic retry)."""
        amount = to_cents(amount)
        if not Decimal("0.01") <= amount <= MAX_CREDIT:
            raise ValidationFailed(f"Invalid amount: must be between 0.01 and {MAX_CREDIT}")
        reason = check_plain_text(reason, "reason")
        for attempt in range(RETRIES):
            account = self.get(account_id)
            entry = LedgerEntry(
                id=self._ids.new_id(),
                account_id=account.id,
                type=LedgerType.CREDIT,
                amount=amount,
                balance_after=account.balance + amount,
                created_at=self._clock.now(),
                reason=reason,
            )
            try:
                return self._repo.post_entry(account, entry)
            except Conflict:
                backoff(attempt)
        raise Conflict()

    def change(self, account_id: str, credit_limit: Decimal | None, status: str | None) -> Account:
        """An admin's change of an account's credit limit and/or status (only the fields given), atomically.

        A credit limit may not drop below what the account has already committed (its holds beyond its
        balance): `balance >= -credit_limit` must hold at every moment, also when those calls are billed."""
        if credit_limit is not None:
            credit_limit = to_cents(credit_limit)
            if not Decimal("0.00") <= credit_limit <= MAX_CREDIT:
                raise ValidationFailed(f"Invalid credit_limit: must be between 0 and {MAX_CREDIT}")
        if status is not None and status not in ACCOUNT_STATUSES:
            raise ValidationFailed("Invalid status: must be active or suspended")
        for attempt in range(RETRIES):
            account = self.get(account_id)
            changed = replace(
                account,
                credit_limit=account.credit_limit if credit_limit is None else credit_limit,
                status=account.status if status is None else status,
                updated_at=self._clock.now(),
            )
            if changed.available < 0 < account.credit_limit - changed.credit_limit:
                raise Conflict(
                    f"credit_limit cannot go below {account.held - account.balance:.2f}: the account has "
                    "that much committed beyond its balance in calls in flight"
                )
            try:
                return self._repo.save_settings(account, changed)
            except Conflict:
                backoff(attempt)
        raise Conflict()

    def ledger(self, account_id: str, limit: int, start: dict[str, Any] | None) -> Page[LedgerEntry]:
        return self._repo.ledger(account_id, limit, start)
