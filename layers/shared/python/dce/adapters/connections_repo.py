"""WebSocket connections in DynamoDB: keyed by connection id, found by account (GSI) or as admins
(sparse GSI), expired by TTL when API Gateway's 2-hour limit has passed."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from dce.adapters import aws
from dce.adapters.dynamo import is_condition_failure
from dce.adapters.items import parse_ts, ts
from dce.adapters.tables import CONNECTIONS
from dce.domain.accounts import Role
from dce.domain.connections import Connection


def connection_item(c: Connection) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": c.id,
        "account_id": c.account_id,
        "role": c.role.value,
        "connected_at": ts(c.connected_at),
        "expires_at": ts(c.expires_at),
        "expires_at_epoch": int(c.expires_at.timestamp()),
        "topics": list(c.topics),
    }
    if c.role is Role.ADMIN:
        item["admin_flag"] = "1"
    return item


def connection_from(item: dict[str, Any]) -> Connection:
    return Connection(
        id=item["id"],
        account_id=item["account_id"],
        role=Role(item["role"]),
        connected_at=parse_ts(item["connected_at"]),
        expires_at=parse_ts(item["expires_at"]),
        topics=tuple(item.get("topics") or ()),
    )


class DynamoConnectionRepo:
    def put(self, connection: Connection) -> None:
        aws.table(CONNECTIONS).put_item(Item=connection_item(connection))

    def get(self, connection_id: str) -> Connection | None:
        item = aws.table(CONNECTIONS).get_item(Key={"id": connection_id}).get("Item")
        return connection_from(item) if item else None

    def delete(self, connection_id: str) -> None:
        aws.table(CONNECTIONS).delete_item(Key={"id": connection_id})

    def set_topics(self, connection_id: str, topics: tuple[str, ...]) -> bool:
        try:
            aws.table(CONNECTIONS).update_item(
                Key={"id": connection_id},
                UpdateExpression="SET topics = :t",
                ConditionExpression="attribute_exists(id)",
                ExpressionAttributeValues={":t": list(topics)},
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def for_accounts(self, account_ids: frozenset[str]) -> list[Connection]:
        """Every connection of these accounts: one index query per account (an event names one to a few)."""
        found: list[Connection] = []
        for account_id in sorted(account_ids):
            found += self._query(
                {"IndexName": "by_account", "KeyConditionExpression": Key("account_id").eq(account_id)}
            )
        return found

    def admins(self) -> list[Connection]:
        return self._query({"IndexName": "admins", "KeyConditionExpression": Key("admin_flag").eq("1")})

    @staticmethod
    def _query(query: dict[str, Any]) -> list[Connection]:
        items: list[dict[str, Any]] = []
        while True:
            result = aws.table(CONNECTIONS).query(**query)
            items += result.get("Items", [])
            if "LastEvaluatedKey" not in result:
                return [connection_from(i) for i in items]
            query = {**query, "ExclusiveStartKey": result["LastEvaluatedKey"]}
