"""Small helpers shared by the DynamoDB repositories: error codes, pages, money-moving writes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from dce.adapters import aws
from dce.adapters.items import ledger_item, ts
from dce.adapters.tables import ACCOUNTS, LEDGER, Table
from dce.domain.accounts import Account, LedgerEntry
from dce.domain.billing import MoneyMove


def error_code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def cancellation_reasons(error: ClientError) -> list[str]:
    """Per-item reasons of a cancelled transaction, in the order of its items ("None" when fine)."""
    return [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]


def is_condition_failure(error: ClientError) -> bool:
    return error_code(error) == "ConditionalCheckFailedException"


def batch_get(request: dict[str, dict[str, Any]], attempts: int = 5) -> dict[str, list[dict[str, Any]]]:
    """One BatchGetItem over one or more tables (`RequestItems`, at most 100 keys), its unprocessed keys retried
    a few times: the items found, by physical table name."""
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in request}
    for _ in range(attempts):
        result = aws.dynamodb().batch_get_item(RequestItems=request)
        for name, items in result["Responses"].items():
            found.setdefault(name, []).extend(items)
        request = result.get("UnprocessedKeys") or {}
        if not request:
            break
    return found


def items_by_id(table: Table, ids: list[str], attempts: int = 5) -> dict[str, dict[str, Any]]:
    """The items of `table` with these ids (key `id`), in one BatchGetItem (at most 100 ids); unprocessed
    keys are retried a few times. Ids without an item are absent from the result."""
    if not ids:
        return {}
    name = aws.table_name(table)
    items = batch_get({name: {"Keys": [{"id": i} for i in ids]}}, attempts)[name]
    return {item["id"]: item for item in items}


def query_page(table: Any, limit: int, start: dict[str, Any] | None, **query: Any) -> tuple[list[dict[str, Any]], Any]:
    """One page of a query: its items and the `LastEvaluatedKey` to continue from (or None)."""
    query["Limit"] = limit
    if start:
        query["ExclusiveStartKey"] = start
    result = table.query(**query)
    return result.get("Items", []), result.get("LastEvaluatedKey")


def balance_update(account: Account, entry: LedgerEntry) -> dict[str, Any]:
    """A transaction item moving `account` to `entry.balance_after`, only from the version we read."""
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


def money_update(move: MoneyMove, at: datetime) -> dict[str, Any]:
    """A transaction item setting an account's balance and held, only from the version that was read."""
    return {
        "Update": {
            "TableName": aws.table_name(ACCOUNTS),
            "Key": {"id": move.account.id},
            "UpdateExpression": "SET balance = :b, held = :h, version = :nv, updated_at = :u",
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": {
                ":b": move.balance,
                ":h": move.held,
                ":nv": move.account.version + 1,
                ":v": move.account.version,
                ":u": ts(at),
            },
        }
    }


def ledger_put(entry: LedgerEntry) -> dict[str, Any]:
    """A transaction item adding a ledger entry (never overwriting one)."""
    return {
        "Put": {
            "TableName": aws.table_name(LEDGER),
            "Item": ledger_item(entry),
            "ConditionExpression": "attribute_not_exists(entry_key)",
        }
    }
