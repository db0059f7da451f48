"""Completing a call moves money: the call, both balances and both ledger entries in one transaction."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from dce.adapters import aws
from dce.adapters.dynamo import balance_update, cancellation_reasons, error_code, ledger_put
from dce.adapters.items import call_item
from dce.adapters.tables import CALLS
from dce.domain.accounts import Account, LedgerEntry
from dce.domain.calls import Call, CallStatus
from dce.domain.errors import Conflict, InvalidState


class DynamoBillingRepo:
    def settle_call(
        self, call: Call, buyer: Account, seller: Account, charge: LedgerEntry | None, payout: LedgerEntry | None
    ) -> None:
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": aws.table_name(CALLS),
                    "Item": call_item(call),
                    "ConditionExpression": "#s = :in_progress",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":in_progress": CallStatus.IN_PROGRESS.value},
                }
            }
        ]
        if charge is not None and payout is not None:
            writes += [
                balance_update(buyer, charge),
                balance_update(seller, payout),
                ledger_put(charge),
                ledger_put(payout),
            ]
        try:
            aws.dynamodb().meta.client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            if cancellation_reasons(error)[:1] == ["ConditionalCheckFailed"]:
                raise InvalidState("The call is no longer in progress") from error
            raise Conflict() from error
