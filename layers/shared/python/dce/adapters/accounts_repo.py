"""Accounts, their email claims and their ledgers in DynamoDB. Money moves only in transactions."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from dce.adapters import aws
from dce.adapters.items import account_from, account_item, ledger_from, ledger_item, ts
from dce.adapters.tables import ACCOUNTS, EMAILS, LEDGER
from dce.domain.accounts import Account, LedgerEntry
from dce.domain.errors import Conflict, EmailTaken
from dce.domain.pages import Page


def _cancelled_reasons(error: ClientError) -> list[str]:
    return [r.get("Code", "") for r in error.response.get("CancellationReasons", [])]


class DynamoAccountRepo:
    def create(self, account: Account, opening_credit: LedgerEntry | None) -> None:
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": aws.table_name(EMAILS),
                    "Item": {"email": account.email, "account_id": account.id},
                    "ConditionExpression": "attribute_not_exists(email)",
                }
            },
            {
                "Put": {
                    "TableName": aws.table_name(ACCOUNTS),
                    "Item": account_item(account),
                    "ConditionExpression": "attribute_not_exists(id)",
                }
            },
        ]
        if opening_credit is not None:
            writes.append({"Put": {"TableName": aws.table_name(LEDGER), "Item": ledger_item(opening_credit)}})
        try:
            aws.dynamodb().meta.client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                if _cancelled_reasons(error)[:1] == ["ConditionalCheckFailed"]:
                    raise EmailTaken() from error
                raise Conflict() from error
            raise

    def get(self, account_id: str) -> Account | None:
        item = aws.table(ACCOUNTS).get_item(Key={"id": account_id}).get("Item")
        return account_from(item) if item else None

    def find_by_email(self, email: str) -> Account | None:
        claim = aws.table(EMAILS).get_item(Key={"email": email}).get("Item")
        return self.get(claim["account_id"]) if claim else None

    def recent(self, limit: int, start: dict[str, Any] | None) -> Page[Account]:
        query: dict[str, Any] = {
            "IndexName": "by_created",
            "KeyConditionExpression": Key("entity").eq("account"),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start:
            query["ExclusiveStartKey"] = start
        result = aws.table(ACCOUNTS).query(**query)
        ids = [item["id"] for item in result.get("Items", [])]
        accounts = self._batch_get(ids)
        return Page([accounts[i] for i in ids if i in accounts], result.get("LastEvaluatedKey"))

    def _batch_get(self, ids: list[str]) -> dict[str, Account]:
        if not ids:
            return {}
        name = aws.table_name(ACCOUNTS)
        found: dict[str, Account] = {}
        request: dict[str, Any] = {name: {"Keys": [{"id": i} for i in ids]}}
        for _ in range(5):  # unprocessed keys are retried a few times
            result = aws.dynamodb().batch_get_item(RequestItems=request)
            for item in result["Responses"].get(name, []):
                found[item["id"]] = account_from(item)
            request = result.get("UnprocessedKeys") or {}
            if not request:
                break
        return found

    def post_entry(self, account: Account, entry: LedgerEntry) -> Account:
        updated_at = entry.created_at
        try:
            aws.dynamodb().meta.client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": aws.table_name(ACCOUNTS),
                            "Key": {"id": account.id},
                            "UpdateExpression": "SET balance = :b, version = :nv, updated_at = :u",
                            "ConditionExpression": "version = :v",
                            "ExpressionAttributeValues": {
                                ":b": entry.balance_after,
                                ":nv": account.version + 1,
                                ":v": account.version,
                                ":u": ts(updated_at),
                            },
                        }
                    },
                    {
                        "Put": {
                            "TableName": aws.table_name(LEDGER),
                            "Item": ledger_item(entry),
                            "ConditionExpression": "attribute_not_exists(entry_key)",
                        }
                    },
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise Conflict() from error
            raise
        return replace(account, balance=entry.balance_after, version=account.version + 1, updated_at=updated_at)

    def ledger(self, account_id: str, limit: int, start: dict[str, Any] | None) -> Page[LedgerEntry]:
        query: dict[str, Any] = {
            "KeyConditionExpression": Key("account_id").eq(account_id),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start:
            query["ExclusiveStartKey"] = start
        result = aws.table(LEDGER).query(**query)
        return Page([ledger_from(i) for i in result.get("Items", [])], result.get("LastEvaluatedKey"))
