"""Use cases for calls: create, read, list and status changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dce.domain.accounts import Role
from dce.domain.calls import CLIENT_SETTABLE, Call, CallStatus, Direction
from dce.domain.errors import AccountNotFound, CallNotFound, InsufficientFunds, InvalidState
from dce.domain.pages import Page
from dce.domain.phone import PhoneNumber
from dce.domain.principal import Principal
from dce.ports import AccountRepo, CallRepo, Clock, IdGen

RETRIES = 3


@dataclass(frozen=True, slots=True)
class NewCall:
    from_number: str
    to_number: str
    direction: Direction = Direction.OUTBOUND
    call_type: str | None = None
    keywords: tuple[str, ...] = ()


class CallService:
    def __init__(self, calls: CallRepo, accounts: AccountRepo, clock: Clock, ids: IdGen) -> None:
        self._calls, self._accounts, self._clock, self._ids = calls, accounts, clock, ids

    def create(self, caller: Principal, new: NewCall) -> Call:
        from_number = PhoneNumber.parse(new.from_number, "from number")
        to_number = PhoneNumber.parse(new.to_number, "to number")
        account = self._accounts.get(caller.account_id)
        if account is None:
            raise AccountNotFound()
        if account.balance < 0:
            raise InsufficientFunds()
        now = self._clock.now()
        call = Call(
            id=self._ids.new_id(),
            buyer_id=caller.account_id,
            from_number=from_number,
            to_number=to_number,
            direction=new.direction,
            status=CallStatus.PENDING,
            created_at=now,
            updated_at=now,
            call_type=new.call_type,
            keywords=new.keywords,
        )
        self._calls.put_new(call)
        return call

    def get(self, caller: Principal, call_id: str) -> Call:
        call = self._calls.get(call_id)
        if call is None or not call.is_visible_to(caller.account_id, caller.is_admin):
            raise CallNotFound()  # someone else's call is "not found": no existence leak
        return call

    def visible_to(self, caller: Principal, limit: int, start: dict[str, Any] | None) -> Page[Call]:
        if caller.role is Role.ADMIN:
            return self._calls.list_all(limit, start)
        if caller.role is Role.SELLER:
            return self._calls.list_for_seller(caller.account_id, limit, start)
        return self._calls.list_for_buyer(caller.account_id, limit, start)

    def change_status(self, caller: Principal, call_id: str, target: CallStatus) -> Call:
        """Move a call along the status machine; of concurrent changes only one wins."""
        if target not in CLIENT_SETTABLE:
            how = "POST /calls/{id}/route" if target is CallStatus.QUEUED else "POST /calls/{id}/complete"
            if target is CallStatus.PENDING:
                raise InvalidState("A call cannot be moved back to pending")
            raise InvalidState(f"Status {target} is set by {how}, not by a status update")
        for _ in range(RETRIES):
            call = self._owned(caller, call_id)
            updated = call.transitioned(target, self._clock.now())
            if self._calls.save_transition(updated, expected=call.status):
                return updated
        raise InvalidState("The call changed concurrently; read it again")

    def _owned(self, caller: Principal, call_id: str) -> Call:
        call = self._calls.get(call_id)
        if call is None or not (caller.is_admin or call.buyer_id == caller.account_id):
            raise CallNotFound()
        return call
