"""WebSocket connections in DynamoDB: keyed by connection id, found by account (GSI) or as admins
(sparse GSI), expired by TTL when the connection's time is up.

Each account with connections also has one item in the same table, `id = "account#<account id>"` (connection
ids never contain `#`): `live`, a string set with one `"<expires_at_epoch>:<connection id>"` per connection
it admitted. `$connect` adds to it with a conditional `ADD` (`size(live) < max`), so the cap holds under
concurrent handshakes without a transaction; forgetting a connection removes its element (`DELETE` from a
set: doing it twice is harmless). Elements carry their connection's expiry, so one whose record TTL removed
(or whose `$connect` crashed half-way) stops counting when its connection would have ended: an account at
its cap has such elements pruned before it is refused. The item has neither `account_id` nor `admin_flag`,
so neither index ever shows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from dce.adapters import aws
from dce.adapters.dynamo import is_condition_failure
from dce.adapters.items import parse_ts, ts
from dce.adapters.tables import CONNECTIONS
from dce.config import settings
from dce.domain.accounts import Role
from dce.domain.connections import CONNECTION_LIFETIME, Connection

ACCOUNT_ITEM_PREFIX = "account#"
LOOKUP_CONCURRENCY = 8  # concurrent index queries of one `for_accounts` (aws._CONFIG allows 50 connections)
ADMIT_ATTEMPTS = 3  # claim; at the cap, prune expired elements and claim again (a racer may take them first)
_ACCOUNT_ITEM_TTL_MARGIN_S = 60


@lru_cache(maxsize=1)
def _lookups() -> ThreadPoolExecutor:
    """Threads for concurrent index queries, kept for the process (a Lambda instance's invocations reuse them)."""
    return ThreadPoolExecutor(max_workers=LOOKUP_CONCURRENCY, thread_name_prefix="dce-connections")


def connection_item(c: Connection) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": c.id,
        "account_id": c.account_id,
        "role": c.role.value,
        "connected_at": ts(c.connected_at),
        "expires_at": ts(c.expires_at),
        "expires_at_epoch": _epoch(c.expires_at),
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


def account_key(account_id: str) -> dict[str, str]:
    """The key of the account's item that counts its connections."""
    return {"id": ACCOUNT_ITEM_PREFIX + account_id}


def live_element(connection_id: str, expires_at_epoch: int) -> str:
    return f"{expires_at_epoch}:{connection_id}"


def _element_epoch(element: str) -> int:
    return int(element.split(":", 1)[0])


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


class DynamoConnectionRepo:
    def __init__(self, max_per_account: int | None = None) -> None:
        self._max_per_account = max_per_account  # None: the setting (DCE_WS_MAX_CONNECTIONS_PER_ACCOUNT)

    @property
    def max_per_account(self) -> int:
        return self._max_per_account or settings().ws_max_connections_per_account

    def admit(self, connection: Connection) -> datetime | None:
        """Store the connection unless its account already has `max_per_account` live ones (admins too).
        None when stored; otherwise when the earliest of those ends at the latest (nothing is written)."""
        account_id, now = connection.account_id, _epoch(connection.connected_at)
        element = live_element(connection.id, _epoch(connection.expires_at))
        for attempt in range(1, ADMIT_ATTEMPTS + 1):
            live = self._claim(account_id, element, now)
            if live is None:
                break
            expired = {e for e in live if _element_epoch(e) < now}  # its connection ended before this one began
            if not expired or attempt == ADMIT_ATTEMPTS:
                return datetime.fromtimestamp(min((_element_epoch(e) for e in live - expired), default=now), UTC)
            self._release(account_id, expired)
        try:
            aws.table(CONNECTIONS).put_item(Item=connection_item(connection))
        except Exception:
            self._release(account_id, {element})
            raise
        return None

    def put(self, connection: Connection) -> None:
        """Store a connection without counting it (tests, tools); `$connect` uses `admit`."""
        aws.table(CONNECTIONS).put_item(Item=connection_item(connection))

    def get(self, connection_id: str) -> Connection | None:
        item = aws.table(CONNECTIONS).get_item(Key={"id": connection_id}).get("Item")
        return connection_from(item) if item else None

    def delete(self, connection_id: str) -> None:
        """Forget a connection and free its place in its account's count. Whoever deletes the record frees
        the place ($disconnect, the fan-out, a suspension, racing each other): the others find nothing."""
        table = aws.table(CONNECTIONS)
        old = table.delete_item(Key={"id": connection_id}, ReturnValues="ALL_OLD").get("Attributes")
        if old and "account_id" in old:
            self._release(str(old["account_id"]), {live_element(connection_id, int(old["expires_at_epoch"]))})

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
        """Every connection of these accounts: one index query per account (a stream batch names one to a few),
        run concurrently, so a batch waits about one round trip whatever the number of accounts."""
        queries = [
            {"IndexName": "by_account", "KeyConditionExpression": Key("account_id").eq(account_id)}
            for account_id in sorted(account_ids)
        ]
        if len(queries) <= 1:
            return [c for query in queries for c in self._query(query)]
        return [c for found in _lookups().map(self._query, queries) for c in found]

    def admins(self) -> list[Connection]:
        return self._query({"IndexName": "admins", "KeyConditionExpression": Key("admin_flag").eq("1")})

    def _claim(self, account_id: str, element: str, now: int) -> set[str] | None:
        """Add the element to the account's live set if it has room: None when added, else the set as it is."""
        table = aws.table(CONNECTIONS)
        try:
            table.update_item(
                Key=account_key(account_id),
                # The item outlives every element (each ends within CONNECTION_LIFETIME of its $connect).
                UpdateExpression="ADD live :element SET expires_at_epoch = :ttl",
                ConditionExpression="attribute_not_exists(live) OR size(live) < :max",
                ExpressionAttributeValues={
                    ":element": {element},
                    ":max": self.max_per_account,
                    ":ttl": now + int(CONNECTION_LIFETIME.total_seconds()) + _ACCOUNT_ITEM_TTL_MARGIN_S,
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            if "Item" in error.response:  # the low-level shape: {"live": {"SS": [...]}}
                return set(error.response["Item"].get("live", {}).get("SS", []))
            item = table.get_item(Key=account_key(account_id), ConsistentRead=True).get("Item") or {}
            return set(item.get("live") or ())
        return None

    @staticmethod
    def _release(account_id: str, elements: Iterable[str]) -> None:
        """Remove elements from the account's live set (absent ones are ignored)."""
        values = set(elements)
        if not values:
            return
        try:
            aws.table(CONNECTIONS).update_item(
                Key=account_key(account_id),
                UpdateExpression="DELETE live :elements",
                ConditionExpression="attribute_exists(id)",  # never create the item just to remove from it
                ExpressionAttributeValues={":elements": values},
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise

    @staticmethod
    def _query(query: dict[str, Any]) -> list[Connection]:
        """All pages of an index query, through the resource's client (thread-safe, unlike the resource)."""
        items: list[dict[str, Any]] = []
        client, name = aws.dynamodb().meta.client, aws.table_name(CONNECTIONS)
        while True:
            result = client.query(TableName=name, **query)
            items += result.get("Items", [])
            if "LastEvaluatedKey" not in result:
                return [connection_from(i) for i in items]
            query = {**query, "ExclusiveStartKey": result["LastEvaluatedKey"]}
