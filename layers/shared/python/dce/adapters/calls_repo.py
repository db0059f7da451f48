"""Calls in DynamoDB. Status changes are conditional on the status they start from."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from dce.adapters import aws
from dce.adapters.dynamo import query_page
from dce.adapters.items import call_from, call_item
from dce.adapters.tables import CALLS
from dce.domain.calls import Call, CallStatus
from dce.domain.pages import Page


class DynamoCallRepo:
    def put_new(self, call: Call) -> None:
        aws.table(CALLS).put_item(Item=call_item(call), ConditionExpression="attribute_not_exists(id)")

    def get(self, call_id: str) -> Call | None:
        item = aws.table(CALLS).get_item(Key={"id": call_id}).get("Item")
        return call_from(item) if item else None

    def list_for_buyer(self, buyer_id: str, limit: int, start: dict[str, Any] | None) -> Page[Call]:
        return self._query("by_buyer", "buyer_id", buyer_id, limit, start)

    def list_for_seller(self, seller_id: str, limit: int, start: dict[str, Any] | None) -> Page[Call]:
        return self._query("by_seller", "seller_id", seller_id, limit, start)

    def list_all(self, limit: int, start: dict[str, Any] | None) -> Page[Call]:
        """All calls for admins. A scan: unordered across pages (documented in docs/decisions.md)."""
        scan: dict[str, Any] = {"Limit": limit}
        if start:
            scan["ExclusiveStartKey"] = start
        result = aws.table(CALLS).scan(**scan)
        items = sorted((call_from(i) for i in result.get("Items", [])), key=lambda c: c.created_at, reverse=True)
        return Page(items, result.get("LastEvaluatedKey"))

    def _query(self, index: str, key: str, value: str, limit: int, start: dict[str, Any] | None) -> Page[Call]:
        items, next_key = query_page(
            aws.table(CALLS),
            limit,
            start,
            IndexName=index,
            KeyConditionExpression=Key(key).eq(value),
            ScanIndexForward=False,
        )
        return Page([call_from(i) for i in items], next_key)

    def save_transition(self, call: Call, expected: CallStatus) -> bool:
        try:
            aws.table(CALLS).put_item(
                Item=call_item(call),
                ConditionExpression="#s = :expected",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":expected": expected.value},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
