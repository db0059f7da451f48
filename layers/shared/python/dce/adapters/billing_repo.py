"""Completing a call moves money: the call, both balances and both ledger entries in one transaction."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from dce.adapters import aws
from dce.adapters.items import call_item, ledger_item, ts
from dce.adapters.tables import ACCOUNTS, CALLS, LEDGER
from dce.domain.accounts import Account, LedgerEntry
from dce.domain.calls import Call, CallStatus
from dce.domain.errors import Conflict, InvalidState


def _balance_update(account: Account, entry: LedgerEntry) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": aws.table_name(ACCOUNTS),
            "Key": {"id": account.id},
            "UpdateExpression": "SET balance = :b, version = :nv, updated_at = :u",
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": {
                ":b": entry.balance_after,
                ":nv": account.version + 1,
                ":v": account.version,
                ":u": ts(entry.created_at),
            },
        }
    }


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
                _balance_update(buyer, charge),
                _balance_update(seller, payout),
                {"Put": {"TableName": aws.table_name(LEDGER), "Item": ledger_item(charge)}},
                {"Put": {"TableName": aws.table_name(LEDGER), "Item": ledger_item(payout)}},
            ]
        try:
            aws.dynamodb().meta.client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
            if reasons[:1] == ["ConditionalCheckFailed"]:
                raise InvalidState("The call is no longer in progress") from error
            raise Conflict() from error
