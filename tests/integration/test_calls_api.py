"""Calls through the real handler on moto (authorizer result injected)."""

from __future__ import annotations

from decimal import Decimal

from dce.bootstrap import services
from dce.domain.accounts import Role
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount

CALL = {"from_number": "+14155551234", "to_number": "+18005551234"}


def new_principal(role: Role, email: str) -> Principal:
    account, _ = services().accounts.create(NewAccount(email=email, company_name="Acme", role=role, password="x" * 12))
    return Principal(account.id, role)


def test_a_buyer_creates_a_call_and_reads_it_back(call_api):
    buyer = new_principal(Role.BUYER, "buyer@example.com")
    created = call_api("POST", "/calls", CALL, as_=buyer)
    assert created.status == 201
    assert created.body["status"] == "pending"
    assert created.headers["X-Request-Id"]
    fetched = call_api("GET", f"/calls/{created.body['id']}", as_=buyer)
    assert fetched.status == 200
    assert fetched.body == created.body


def test_another_buyers_call_is_not_found(call_api):
    owner = new_principal(Role.BUYER, "owner@example.com")
    other = new_principal(Role.BUYER, "other@example.com")
    call_id = call_api("POST", "/calls", CALL, as_=owner).body["id"]
    response = call_api("GET", f"/calls/{call_id}", as_=other)
    assert response.status == 404
    assert response.body["error"]["code"] == "CALL_NOT_FOUND"


def test_a_buyer_with_a_negative_balance_cannot_create_calls(call_api):
    buyer = new_principal(Role.BUYER, "debtor@example.com")
    repo = services().accounts
    account = repo.get(buyer.account_id)
    from dce.adapters.accounts_repo import DynamoAccountRepo
    from dce.domain.accounts import LedgerEntry, LedgerType

    entry = LedgerEntry("e1", account.id, LedgerType.CHARGE, Decimal("-1000.01"), Decimal("-0.01"), account.created_at)
    DynamoAccountRepo().post_entry(account, entry)
    response = call_api("POST", "/calls", CALL, as_=buyer)
    assert response.status == 402
    assert response.body["error"]["code"] == "INSUFFICIENT_FUNDS"
