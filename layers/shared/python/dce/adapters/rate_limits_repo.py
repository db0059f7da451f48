"""Rate limits in DynamoDB, shared by every Lambda instance: token buckets and windowed counters.

A token bucket (`per_second` tokens a second, `burst` at most) is kept as GCRA's theoretical arrival time
`tat`: the bucket is full when tat <= now, a request is granted when max(tat, now) + 1/rate stays within
burst/rate of now, and a grant moves tat by 1/rate. Each request is ONE conditional UpdateItem: "refill"
(tat <= now: tat = now + 1/rate) or "take" (tat > now: tat += 1/rate). Which applies depends on the stored
tat, so the adapter starts from the last tat it saw for the key; when the condition fails, DynamoDB returns
the stored item (ReturnValuesOnConditionCheckFailure), which either proves the bucket empty (refused, no
second trip) or picks the other update.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from dce.adapters import aws
from dce.adapters.tables import RATE_LIMITS

MICROSECOND = Decimal("0.000001")
IDLE_SECONDS = 60  # an item outlives a full bucket by this much, then TTL removes it
ATTEMPTS = 3
REMEMBERED_KEYS = 10_000


def _number(value: float) -> Decimal:
    return Decimal(f"{value:.6f}").quantize(MICROSECOND)


class DynamoTokenBuckets:
    """One token bucket per key (a caller), in the rate_limits table."""

    def __init__(self, per_second: float, burst: int) -> None:
        self._interval = 1 / per_second
        self._capacity = burst * self._interval  # how far tat may run ahead of now
        self._seen: dict[str, float] = {}  # last tat seen per key: guesses which update applies

    def take(self, key: str, now: float) -> float:
        """Take one token from `key`'s bucket at `now` (epoch seconds): 0 when granted, else the seconds
        until a token is available."""
        busy = self._seen.get(key, now) > now
        for _ in range(ATTEMPTS):
            granted, tat = self._update(key, now, busy)
            if granted or tat > now + self._capacity - self._interval:
                self._remember(key, tat)
                return 0.0 if granted else tat + self._interval - self._capacity - now
            busy = tat > now
        return 0.0  # the stored tat kept crossing `now` between writes: the bucket is (nearly) full

    def _update(self, key: str, now: float, busy: bool) -> tuple[bool, float]:
        """One conditional write: (True, the new tat) when granted, else (False, the stored tat)."""
        values: dict[str, Any] = {":now": _number(now), ":expires": int(now + self._capacity) + IDLE_SECONDS}
        if busy:  # take: the bucket is partly used and keeps a token for this request
            update, condition = "SET tat = tat + :interval", "tat > :now AND tat <= :last"
            values |= {":interval": _number(self._interval), ":last": _number(now + self._capacity - self._interval)}
        else:  # refill: the bucket is full (or new)
            update, condition = "SET tat = :next", "attribute_not_exists(tat) OR tat <= :now"
            values[":next"] = _number(now + self._interval)
        try:
            result = aws.table(RATE_LIMITS).update_item(
                Key={"key": key},
                UpdateExpression=f"{update}, expires_at_epoch = :expires",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                # ALL_NEW, not UPDATED_NEW: a `tat + :interval` that rounds to no change (a rate of millions
                # a second) leaves `tat` out of UPDATED_NEW.
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            stored = error.response.get("Item", {}).get("tat", {}).get("N")  # the client's raw wire format
            return False, float(stored) if stored is not None else float("-inf")
        return True, float(result["Attributes"]["tat"])

    def _remember(self, key: str, tat: float) -> None:
        if len(self._seen) >= REMEMBERED_KEYS:
            self._seen.clear()
        self._seen[key] = tat


class DynamoCounters:
    """Counters by name (a fixed window is part of the name), in the rate_limits table.

    A reservation is a conditional UpdateItem per key (`ADD n 1` only while `n < limit`): DynamoDB applies
    each atomically, so under any concurrency no key goes past its limit. Keys are reserved one after the
    other, and a refusal takes back the ones already reserved. (One transaction would save a round trip,
    but concurrent transactions on one item cancel each other, TransactionConflict, where single-item
    conditional updates simply queue.)"""

    def reserve(self, limits: dict[str, int], expires_at_epoch: int) -> bool:
        """Add one to each key if every key is below its limit; False (nothing added) when one is at it."""
        reserved: list[str] = []
        for key, limit in limits.items():
            try:
                aws.table(RATE_LIMITS).update_item(
                    Key={"key": key},
                    UpdateExpression="SET expires_at_epoch = :expires ADD n :one",
                    ConditionExpression="attribute_not_exists(n) OR n < :limit",
                    ExpressionAttributeValues={":one": 1, ":expires": expires_at_epoch, ":limit": limit},
                )
            except ClientError as error:
                self.release(reserved)
                if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                    return False
                raise
            reserved.append(key)
        return True

    def release(self, keys: list[str]) -> None:
        """Take back one reservation of each key (never below zero)."""
        for key in keys:
            try:
                aws.table(RATE_LIMITS).update_item(
                    Key={"key": key},
                    UpdateExpression="ADD n :minus_one",
                    ConditionExpression="n > :zero",
                    ExpressionAttributeValues={":minus_one": -1, ":zero": 0},
                )
            except ClientError as error:
                if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
