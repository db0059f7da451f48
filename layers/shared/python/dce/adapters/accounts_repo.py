"""Accounts, their email claims and their ledgers in DynamoDB. Money moves only in transactions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from dce.adapters import aws
from dce.adapters.dynamo import (
    balance_update,
    cancellation_reasons,
    error_code,
    is_condition_failure,
    items_by_id,
    ledger_put,
    query_page,
)
from dce.adapters.items import (
    CONTROL_ATTRIBUTES,
    account_from,
    account_item,
    controls_attributes,
    ledger_from,
    ledger_item,
    parse_ts,
    ts,
)
from dce.adapters.tables import ACCOUNTS, EMAILS, LEDGER
from dce.domain.accounts import Account, AccountStatus, LedgerEntry, Standing
from dce.domain.controls import ExchangeControls
from dce.domain.errors import Conflict, EmailTaken
from dce.domain.pages import Page


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
            if error_code(error) == "TransactionCanceledException":
                if cancellation_reasons(error)[:1] == ["ConditionalCheckFailed"]:
                    raise EmailTaken() from error
                raise Conflict() from error
            raise

    def get(self, account_id: str) -> Account | None:
        item = aws.table(ACCOUNTS).get_item(Key={"id": account_id}).get("Item")
        return account_from(item) if item else None

    def get_many(self, account_ids: Sequence[str]) -> dict[str, Account]:
        return self._batch_get(list(dict.fromkeys(account_ids)))

    def save_controls(self, account_id: str, changes: ExchangeControls, fields: frozenset[str]) -> Account | None:
        """One UpdateItem: SET each named setting that has a value, REMOVE each that is null (or the default)."""
        stored = controls_attributes(changes)
        sets, removes = [], []
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        for n, field in enumerate(sorted(fields)):
            attribute = CONTROL_ATTRIBUTES[field]
            names[f"#c{n}"] = attribute
            if stored[attribute] is None:
                removes.append(f"#c{n}")
            else:
                sets.append(f"#c{n} = :c{n}")
                values[f":c{n}"] = stored[attribute]
        expression = " ".join(
            part
            for part in (f"SET {', '.join(sets)}" if sets else "", f"REMOVE {', '.join(removes)}" if removes else "")
            if part
        )
        try:
            result = aws.table(ACCOUNTS).update_item(
                Key={"id": account_id},
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(id)",
                ExpressionAttributeNames=names,
                **({"ExpressionAttributeValues": values} if values else {}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_condition_failure(error):
                return None
            raise
        return account_from(result["Attributes"])

    def standing(self, account_id: str) -> Standing | None:
        """The account's status and session cut-off: one strongly consistent GetItem of two attributes (the
        authorizer's per-request check, so a suspension counts from the very next request)."""
        item = (
            aws.table(ACCOUNTS)
            .get_item(
                Key={"id": account_id},
                ProjectionExpression="#s, sessions_valid_after",
                ExpressionAttributeNames={"#s": "status"},
                ConsistentRead=True,
            )
            .get("Item")
        )
        if item is None:
            return None
        valid_after = item.get("sessions_valid_after")
        status = AccountStatus(item.get("status", AccountStatus.ACTIVE))
        return Standing(status, parse_ts(valid_after) if valid_after else None)

    def set_status(
        self, account_id: str, status: AccountStatus, sessions_valid_after: datetime | None, now: datetime
    ) -> Account | None:
        """Set the status (and, when given, the session cut-off) in one write; None when there is no such
        account. The version moves on, so a concurrent read-modify-write of the account retries on the new item."""
        update = "SET #s = :s, updated_at = :u"
        values: dict[str, Any] = {":s": status.value, ":u": ts(now), ":one": 1}
        if sessions_valid_after is not None:
            update += ", sessions_valid_after = :v"
            values[":v"] = ts(sessions_valid_after)
        try:
            result = aws.table(ACCOUNTS).update_item(
                Key={"id": account_id},
                UpdateExpression=f"{update} ADD version :one",
                ConditionExpression="attribute_exists(id)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_condition_failure(error):
                return None
            raise
        return account_from(result["Attributes"])

    def find_by_email(self, email: str) -> Account | None:
        claim = aws.table(EMAILS).get_item(Key={"email": email}).get("Item")
        return self.get(claim["account_id"]) if claim else None

    def recent(self, limit: int, start: dict[str, Any] | None) -> Page[Account]:
        keys, next_key = query_page(
            aws.table(ACCOUNTS),
            limit,
            start,
            IndexName="by_created",
            KeyConditionExpression=Key("entity").eq("account"),
            ScanIndexForward=False,
        )
        ids = [item["id"] for item in keys]
        accounts = self._batch_get(ids)
        return Page([accounts[i] for i in ids if i in accounts], next_key)

    def _batch_get(self, ids: list[str]) -> dict[str, Account]:
        return {account_id: account_from(item) for account_id, item in items_by_id(ACCOUNTS, ids).items()}

    def post_entry(self, account: Account, entry: LedgerEntry) -> Account:
        try:
            aws.dynamodb().meta.client.transact_write_items(
                TransactItems=[balance_update(account, entry), ledger_put(entry)]
            )
        except ClientError as error:
            if error_code(error) == "TransactionCanceledException":
                raise Conflict() from error
            raise
        return replace(account, balance=entry.balance_after, version=account.version + 1, updated_at=entry.created_at)

    def save_settings(self, account: Account, changed: Account) -> Account:
        try:
            aws.table(ACCOUNTS).update_item(
                Key={"id": account.id},
                UpdateExpression="SET credit_limit = :c, #s = :s, version = :nv, updated_at = :u",
                ConditionExpression="version = :v",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":c": changed.credit_limit,
                    ":s": changed.status,
                    ":nv": account.version + 1,
                    ":v": account.version,
                    ":u": ts(changed.updated_at),
                },
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise Conflict() from error
            raise
        return replace(changed, version=account.version + 1)

    def ledger(self, account_id: str, limit: int, start: dict[str, Any] | None) -> Page[LedgerEntry]:
        items, next_key = query_page(
            aws.table(LEDGER),
            limit,
            start,
            KeyConditionExpression=Key("account_id").eq(account_id),
            ScanIndexForward=False,
        )
        return Page([ledger_from(i) for i in items], next_key)
