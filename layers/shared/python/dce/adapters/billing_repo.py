"""Money moves with its call: the call's status change, the accounts' balances and holds, and the ledger entries
in one DynamoDB transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from dce.adapters import aws
from dce.adapters.dynamo import cancellation_reasons, error_code, ledger_put, money_update
from dce.adapters.items import call_item
from dce.adapters.tables import CALLS
from dce.domain.accounts import LedgerEntry
from dce.domain.billing import MoneyMove
from dce.domain.calls import Call, CallStatus
from dce.domain.errors import Conflict, InvalidState


class DynamoBillingRepo:
    def commit(
        self, call: Call, expected: CallStatus, moves: Sequence[MoneyMove], entries: Sequence[LedgerEntry]
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
        try:
            aws.dynamodb().meta.client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            if cancellation_reasons(error)[:1] == ["ConditionalCheckFailed"]:
                raise InvalidState(f"The call is no longer {expected}") from error
            raise Conflict() from error
