"""Compliance data in DynamoDB: DNC listings (`dnc`) and settings (`compliance_settings`: the TCPA
window and geographic restrictions). Reads are strongly consistent and nothing is cached in memory,
so an admin's change holds from the very next request on every instance.

The pre-call check is one BatchGetItem across both tables. A store error, or keys DynamoDB leaves
unprocessed after the retries, raise ComplianceUnavailable: the call is refused, never let through.
"""

from __future__ import annotations

import random
import time as clock
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import time
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import BotoCoreError, ClientError

from dce.adapters import aws
from dce.adapters.items import parse_ts, ts
from dce.adapters.tables import COMPLIANCE_SETTINGS, COUNTERS, DNC
from dce.domain.compliance import (
    CallingHours,
    ComplianceFacts,
    DncEntry,
    DncList,
    GeoRestriction,
    Lookup,
    Region,
    RegionKind,
)
from dce.domain.errors import ComplianceUnavailable

TCPA_KEY = {"pk": "tcpa", "sk": "hours"}
GEO = "geo"
READ_ATTEMPTS = 4  # BatchGetItem rounds for unprocessed keys before failing closed
WRITE_ATTEMPTS = 8
BATCH_WRITE_SIZE = 25  # DynamoDB's BatchWriteItem limit
WRITE_THREADS = 8  # 10,000 numbers = 400 batches: in parallel they fit well inside a Lambda timeout


def dnc_item(entry: DncEntry) -> dict[str, Any]:
    item: dict[str, Any] = {
        "phone_number": entry.phone_number,
        "reason": entry.reason,
        "list": entry.list.value,
        "created_at": ts(entry.created_at),
    }
    if entry.expires_at is not None:
        item["expires_at"] = ts(entry.expires_at)
        item["expires_at_epoch"] = int(entry.expires_at.timestamp()) + 1  # TTL never deletes it early
    return item


def dnc_from(item: dict[str, Any]) -> DncEntry:
    expires = item.get("expires_at")
    return DncEntry(
        phone_number=str(item["phone_number"]),
        reason=str(item["reason"]),
        list=DncList(item["list"]),
        created_at=parse_ts(item["created_at"]),
        expires_at=parse_ts(expires) if expires else None,
    )


def hours_item(hours: CallingHours) -> dict[str, Any]:
    return {**TCPA_KEY, "start_time": f"{hours.start:%H:%M}", "end_time": f"{hours.end:%H:%M}", "tz": hours.timezone}


def hours_from(item: dict[str, Any]) -> CallingHours:
    # Validated when written; not re-validated on the hot path (an unusable zone fails closed later).
    return CallingHours(time.fromisoformat(item["start_time"]), time.fromisoformat(item["end_time"]), str(item["tz"]))


def restriction_item(rule: GeoRestriction) -> dict[str, Any]:
    return {
        "pk": GEO,
        "sk": rule.region.key,
        "restricted": rule.restricted,
        "reason": rule.reason,
        "created_at": ts(rule.created_at),
    }


def restriction_from(item: dict[str, Any]) -> GeoRestriction:
    kind, code = str(item["sk"]).split("#", 1)
    return GeoRestriction(
        Region(RegionKind(kind), code), bool(item["restricted"]), str(item["reason"]), parse_ts(item["created_at"])
    )


class DynamoComplianceRepo:
    # --- the pre-call check ----------------------------------------------------------------------

    def facts(self, lookup: Lookup) -> ComplianceFacts:
        """Everything the check needs, in one BatchGetItem (strongly consistent)."""
        dnc_name, settings_name = aws.table_name(DNC), aws.table_name(COMPLIANCE_SETTINGS)
        request: dict[str, Any] = {}
        if lookup.dnc_number is not None:
            request[dnc_name] = {"Keys": [{"phone_number": lookup.dnc_number}], "ConsistentRead": True}
        keys = [TCPA_KEY] if lookup.calling_hours else []
        keys += [{"pk": GEO, "sk": region.key} for region in lookup.regions]
        if keys:
            request[settings_name] = {"Keys": keys, "ConsistentRead": True}
        found = self._batch_get(request) if request else {}
        try:
            dnc = [dnc_from(i) for i in found.get(dnc_name, [])]
            settings = found.get(settings_name, [])
            hours = [hours_from(i) for i in settings if i["pk"] == TCPA_KEY["pk"]]
            rules = [restriction_from(i) for i in settings if i["pk"] == GEO]
        except (KeyError, ValueError, TypeError) as error:  # an unreadable item: refuse rather than guess
            raise ComplianceUnavailable() from error
        return ComplianceFacts(
            dnc=dnc[0] if dnc else None,
            hours=hours[0] if hours else None,
            restrictions={rule.region: rule for rule in rules},
        )

    def _batch_get(self, request: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        pending = request
        try:
            for attempt in range(READ_ATTEMPTS):
                result = aws.dynamodb().meta.client.batch_get_item(RequestItems=pending)
                for table, items in result.get("Responses", {}).items():
                    found.setdefault(table, []).extend(items)
                pending = result.get("UnprocessedKeys") or {}
                if not pending:
                    return found
                backoff(attempt)
        except (ClientError, BotoCoreError) as error:
            raise ComplianceUnavailable() from error
        raise ComplianceUnavailable()  # some keys stayed unread: absent is not the same as unknown

    def count_call(self, key: str, limit: int, expires_at_epoch: int) -> bool:
        """Count one call in the caller's window, atomically; False when the window is full."""
        try:
            aws.table(COUNTERS).update_item(
                Key={"key": key},
                UpdateExpression="SET expires_at_epoch = if_not_exists(expires_at_epoch, :exp) ADD n :one",
                ConditionExpression="attribute_not_exists(n) OR n < :limit",
                ExpressionAttributeValues={":one": 1, ":limit": limit, ":exp": expires_at_epoch},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise ComplianceUnavailable() from error
        except BotoCoreError as error:
            raise ComplianceUnavailable() from error
        return True

    # --- DNC -------------------------------------------------------------------------------------

    def put_dnc(self, entry: DncEntry) -> DncEntry | None:
        """Store the listing (replacing any other for the number); returns the one it replaced."""
        old = aws.table(DNC).put_item(Item=dnc_item(entry), ReturnValues="ALL_OLD").get("Attributes")
        return dnc_from(old) if old else None

    def get_dnc(self, phone_number: str) -> DncEntry | None:
        item = aws.table(DNC).get_item(Key={"phone_number": phone_number}, ConsistentRead=True).get("Item")
        return dnc_from(item) if item else None

    def delete_dnc(self, phone_number: str) -> None:
        aws.table(DNC).delete_item(Key={"phone_number": phone_number})

    def put_dnc_many(self, entries: Iterable[DncEntry]) -> None:
        """Batch writes of 25, several batches in flight; unprocessed items are retried."""
        batches = list(_chunks([{"PutRequest": {"Item": dnc_item(e)}} for e in entries], BATCH_WRITE_SIZE))
        if not batches:
            return
        client, name = aws.dynamodb().meta.client, aws.table_name(DNC)  # clients are thread-safe
        with ThreadPoolExecutor(max_workers=min(WRITE_THREADS, len(batches))) as pool:
            list(pool.map(lambda batch: _write_batch(client, name, batch), batches))

    # --- settings --------------------------------------------------------------------------------

    def get_hours(self) -> CallingHours | None:
        item = aws.table(COMPLIANCE_SETTINGS).get_item(Key=TCPA_KEY, ConsistentRead=True).get("Item")
        return hours_from(item) if item else None

    def put_hours(self, hours: CallingHours) -> None:
        aws.table(COMPLIANCE_SETTINGS).put_item(Item=hours_item(hours))

    def put_restriction(self, rule: GeoRestriction) -> None:
        aws.table(COMPLIANCE_SETTINGS).put_item(Item=restriction_item(rule))

    def restrictions(self) -> list[GeoRestriction]:
        """Every restriction (a bounded set: the states and the calling codes), all pages."""
        query: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(GEO), "ConsistentRead": True}
        items: list[dict[str, Any]] = []
        while True:
            result = aws.table(COMPLIANCE_SETTINGS).query(**query)
            items += result.get("Items", [])
            if "LastEvaluatedKey" not in result:
                return [restriction_from(i) for i in items]
            query["ExclusiveStartKey"] = result["LastEvaluatedKey"]

    def delete_restriction(self, region: Region) -> None:
        aws.table(COMPLIANCE_SETTINGS).delete_item(Key={"pk": GEO, "sk": region.key})


def _chunks(items: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def backoff(attempt: int) -> None:
    """Full jitter up to 10 ms * 2^attempt before retrying what DynamoDB left unprocessed."""
    clock.sleep(random.uniform(0, min(0.5, 0.01 * 2**attempt)))  # noqa: S311 (not crypto)


def _write_batch(client: Any, table_name: str, batch: list[dict[str, Any]]) -> None:
    pending: dict[str, Any] = {table_name: batch}
    for attempt in range(WRITE_ATTEMPTS):
        pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        if not pending:
            return
        backoff(attempt)
    raise ComplianceUnavailable("DNC import incomplete: the store is throttling writes, retry the import")
