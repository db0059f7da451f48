"""Money moves with its call: the call's status change, the accounts' balances and holds, and the ledger entries
in one DynamoDB transaction — with the seller's capacity counters and the buyer's billed-caller mark when the
change takes or ends a routing attempt, or bills a caller."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from dce.adapters import aws
from dce.adapters.capacity import billed_key, billed_write, claim_writes, release_write
from dce.adapters.dynamo import batch_get, cancellation_reasons, error_code, ledger_put, money_update
from dce.adapters.items import account_from, call_item
from dce.adapters.tables import ACCOUNTS, CALLS, COUNTERS
from dce.domain.accounts import Account, LedgerEntry
from dce.domain.billing import MoneyMove
from dce.domain.calls import Call, CallStatus
from dce.domain.controls import BilledCaller, CapacityClaim
from dce.domain.errors import Conflict, InvalidState, SellerAtCapacity

FAILED = "ConditionalCheckFailed"


class DynamoBillingRepo:
    def commit(
        self,
        call: Call,
        expected: CallStatus,
        moves: Sequence[MoneyMove],
        entries: Sequence[LedgerEntry],
        claim: CapacityClaim | None = None,
        release: str | None = None,
        billed: BilledCaller | None = None,
    ) -> None:
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": aws.table_name(CALLS),
                    "Item": call_item(call),
                    "ConditionExpression": "#s = :expected",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":expected": expected.value},
                }
            },
            *(money_update(move, call.updated_at) for move in moves),
            *(ledger_put(entry) for entry in entries),
        ]
        claimed_at = len(writes)
        if claim is not None:
            writes += claim_writes(claim, call.updated_at)
        if release is not None:
            writes.append(release_write(release))
        if billed is not None:
            writes.append(billed_write(billed, call.id))
        try:
            aws.dynamodb().meta.client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            reasons = cancellation_reasons(error)
            if reasons[:1] == [FAILED]:
                raise InvalidState(f"The call is no longer {expected}") from error
            if claim is not None and FAILED in reasons[claimed_at : claimed_at + 2]:
                raise SellerAtCapacity(claim.seller_id) from error
            raise Conflict() from error  # an account moved on, or a racing completion billed the same caller

    def parties(self, call: Call, with_billed_caller: bool) -> tuple[dict[str, Account], datetime | None]:
        """The call's buyer and seller accounts and, when asked, when its caller last billed the buyer for this
        seller: one BatchGetItem over both tables."""
        accounts, counters = aws.table_name(ACCOUNTS), aws.table_name(COUNTERS)
        ids = list(dict.fromkeys(filter(None, (call.buyer_id, call.seller_id))))
        request: dict[str, Any] = {accounts: {"Keys": [{"id": i} for i in ids]}}
        mark = billed_key(call.buyer_id, call.seller_id or "", call.from_number.e164)
        if with_billed_caller and call.seller_id:
            request[counters] = {"Keys": [mark], "ConsistentRead": True}
        request[accounts]["ConsistentRead"] = True
        found = batch_get(request)
        marks = found.get(counters, [])
        last = datetime.fromtimestamp(int(marks[0]["billed_at_epoch"]), UTC) if marks else None
        return {i["id"]: account_from(i) for i in found[accounts]}, last
