"""Accounts, credits, sessions and API keys against DynamoDB on moto."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from dce.bootstrap import services
from dce.domain.accounts import Role
from dce.domain.errors import EmailTaken, Forbidden, InvalidCredentials, Unauthorized
from dce.services.accounts import NewAccount
from dce.services.admin_bootstrap import ensure_admin

PASSWORD = "correct-horse-battery"


def new(email: str, role: Role = Role.BUYER, password: str | None = PASSWORD) -> NewAccount:
    return NewAccount(email=email, company_name="Acme", role=role, password=password)


def test_an_email_can_be_claimed_once_even_in_different_case(aws):
    services().accounts.sign_up(new("Someone@Example.com"))
    with pytest.raises(EmailTaken):
        services().accounts.sign_up(new("someone@example.COM"))


def test_concurrent_sign_ups_with_one_email_create_exactly_one_account(aws):
    def attempt(_: int) -> str:
        try:
            services().accounts.sign_up(new("race@example.com"))
            return "created"
        except EmailTaken:
            return "taken"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, range(8)))
    assert outcomes.count("created") == 1
    assert len(services().accounts.recent(100, None).items) == 1


def test_public_sign_up_cannot_create_an_admin(aws):
    with pytest.raises(Forbidden):
        services().accounts.sign_up(new("root@example.com", Role.ADMIN))


def test_a_new_buyer_starts_with_the_signup_credit_recorded_in_its_ledger(aws):
    account, api_key = services().accounts.sign_up(new("buyer@example.com"))
    assert account.balance == Decimal("1000.00") and api_key is None
    ledger = services().accounts.ledger(account.id, 10, None).items
    assert [(e.type.value, e.amount, e.balance_after) for e in ledger] == [
        ("credit", Decimal("1000.00"), Decimal("1000.00"))
    ]


def test_a_seller_starts_at_zero_and_an_account_without_password_gets_an_api_key(aws):
    account, api_key = services().accounts.sign_up(new("seller@example.com", Role.SELLER, password=None))
    assert account.balance == Decimal("0.00")
    assert api_key is not None
    assert services().api_keys.authenticate(api_key).account_id == account.id
    assert services().accounts.ledger(account.id, 10, None).items == []


def test_concurrent_credits_all_land_and_the_balance_equals_the_ledger(aws):
    account, _ = services().accounts.sign_up(new("rich@example.com"))

    def credit(_: int) -> None:
        services().accounts.credit(account.id, Decimal("0.10"), "promo")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(credit, range(12)))
    final = services().accounts.get(account.id)
    assert final.balance == Decimal("1001.20")
    entries = services().accounts.ledger(account.id, 100, None).items
    assert sum(e.amount for e in entries) == final.balance
    assert entries[0].balance_after == final.balance


def test_login_refuses_wrong_passwords_and_unknown_emails_alike(aws):
    services().accounts.sign_up(new("user@example.com"))
    with pytest.raises(InvalidCredentials) as wrong:
        services().auth.login("user@example.com", "not-the-password")
    with pytest.raises(InvalidCredentials) as unknown:
        services().auth.login("nobody@example.com", PASSWORD)
    assert wrong.value.message == unknown.value.message


def test_refresh_tokens_rotate_and_reuse_revokes_the_family(aws):
    services().accounts.sign_up(new("user@example.com"))
    first = services().auth.login("user@example.com", PASSWORD)
    second = services().auth.refresh(first.refresh_token)
    third = services().auth.refresh(second.refresh_token)
    with pytest.raises(Unauthorized):
        services().auth.refresh(first.refresh_token)  # reuse of a rotated token
    with pytest.raises(Unauthorized):
        services().auth.refresh(third.refresh_token)  # the whole family is gone


def test_a_revoked_api_key_stops_working(aws):
    _, api_key = services().accounts.sign_up(new("bot@example.com", Role.SELLER, password=None))
    assert api_key is not None
    principal = services().api_keys.authenticate(api_key)
    [key] = services().api_keys.active_for(principal)
    services().api_keys.revoke(principal, key.id)
    with pytest.raises(Unauthorized):
        services().api_keys.authenticate(api_key)
    assert services().api_keys.active_for(principal) == []


def test_the_bootstrap_admin_is_created_once(aws):
    assert ensure_admin(services().accounts, "admin@dce.local", "dce-admin-dev-password") is True
    assert ensure_admin(services().accounts, "admin@dce.local", "dce-admin-dev-password") is False
    pair = services().auth.login("admin@dce.local", "dce-admin-dev-password")
    assert services().tokens.verify_access(pair.access_token).role is Role.ADMIN
