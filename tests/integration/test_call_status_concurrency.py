"""Concurrent status updates on one call: conditional writes let exactly one win."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from dce.bootstrap import services
from dce.domain.accounts import Role
from dce.domain.calls import CallStatus
from dce.domain.errors import InvalidState
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount
from dce.services.calls import NewCall


def test_of_ten_concurrent_cancels_exactly_one_succeeds(aws):
    account, _ = services().accounts.sign_up(
        NewAccount(email="b@example.com", company_name="Acme", role=Role.BUYER, password="x" * 12)
    )
    buyer = Principal(account.id, Role.BUYER)
    call = services().calls.create(buyer, NewCall("+14155551234", "+18005551234"))

    def cancel(_: int) -> str:
        try:
            services().calls.change_status(buyer, call.id, CallStatus.CANCELED)
            return "ok"
        except InvalidState:
            return "refused"

    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(cancel, range(10)))
    assert outcomes.count("ok") == 1
    assert services().calls.get(buyer, call.id).status is CallStatus.CANCELED
