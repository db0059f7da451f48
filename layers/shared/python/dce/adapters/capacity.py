"""The counters behind sellers' caps and buyers' duplicate windows, in the counters table.

- `inflight#<seller>`: the seller's calls in a routing attempt (queued | ringing | in_progress). A route adds one
  with the condition "below max_concurrent_calls", an end of the attempt takes one back, each in the same
  transaction as the call's own conditional status change, so it moves exactly once per route and per end.
- `routed#<seller>#<local date>`: calls routed to the seller that day (whatever became of them), with the
  condition "below daily_cap"; expires a few days later.
- `billed#<buyer>#<seller>#<caller>`: when a call from that caller to that seller last billed that buyer.

The transaction items are built here (`claim_writes`, `release_write`, `billed_write`) for the billing
repository; `usage` reads the counts for the automatic bids' eligibility.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from dce.adapters import aws
from dce.adapters.dynamo import batch_get
from dce.adapters.tables import COUNTERS
from dce.domain.controls import DUPLICATE_WINDOW_RANGE, BilledCaller, CapacityClaim

DAY_COUNTER_TTL = timedelta(days=3)
# A billed caller is remembered a little longer than the longest window.
BILLED_TTL = timedelta(days=DUPLICATE_WINDOW_RANGE[1] + 1)


def inflight_key(seller_id: str) -> dict[str, str]:
    return {"key": f"inflight#{seller_id}"}


def routed_key(seller_id: str, day: str) -> dict[str, str]:
    return {"key": f"routed#{seller_id}#{day}"}


def billed_key(buyer_id: str, seller_id: str, from_number: str) -> dict[str, str]:
    return {"key": f"billed#{buyer_id}#{seller_id}#{from_number}"}


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


def claim_writes(claim: CapacityClaim, now: datetime) -> list[dict[str, Any]]:
    """Two transaction items: +1 concurrent call and +1 call today, each only while below its cap."""
    table = aws.table_name(COUNTERS)
    inflight: dict[str, Any] = {
        "TableName": table,
        "Key": inflight_key(claim.seller_id),
        "UpdateExpression": "ADD n :one",
        "ExpressionAttributeValues": {":one": 1},
    }
    if claim.max_concurrent is not None:
        inflight["ConditionExpression"] = "attribute_not_exists(n) OR n < :cap"
        inflight["ExpressionAttributeValues"][":cap"] = claim.max_concurrent
    daily: dict[str, Any] = {
        "TableName": table,
        "Key": routed_key(claim.seller_id, claim.day),
        "UpdateExpression": "ADD n :one SET expires_at_epoch = :exp",
        "ExpressionAttributeValues": {":one": 1, ":exp": _epoch(now + DAY_COUNTER_TTL)},
    }
    if claim.daily_cap is not None:
        daily["ConditionExpression"] = "attribute_not_exists(n) OR n < :cap"
        daily["ExpressionAttributeValues"][":cap"] = claim.daily_cap
    return [{"Update": inflight}, {"Update": daily}]


def release_write(seller_id: str) -> dict[str, Any]:
    """One transaction item: the seller's attempt ended, one concurrent call fewer."""
    return {
        "Update": {
            "TableName": aws.table_name(COUNTERS),
            "Key": inflight_key(seller_id),
            "UpdateExpression": "ADD n :minus",
            "ExpressionAttributeValues": {":minus": -1},
        }
    }


def billed_write(billed: BilledCaller, call_id: str) -> dict[str, Any]:
    """One transaction item remembering a billed caller; with a window, only if none was billed since."""
    put: dict[str, Any] = {
        "TableName": aws.table_name(COUNTERS),
        "Item": {
            **billed_key(billed.buyer_id, billed.seller_id, billed.from_number),
            "billed_at_epoch": _epoch(billed.at),
            "call_id": call_id,
            "expires_at_epoch": _epoch(billed.at + BILLED_TTL),
        },
    }
    if billed.not_since is not None:
        put["ConditionExpression"] = "attribute_not_exists(billed_at_epoch) OR billed_at_epoch < :since"
        put["ExpressionAttributeValues"] = {":since": _epoch(billed.not_since)}
    return {"Put": put}


class DynamoCapacity:
    """Reads of the counters (the writes are transaction items, above)."""

    def usage(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int]]:
        """For (seller, day) pairs: (calls in flight, calls routed that day), in one BatchGetItem (≤ 50 pairs)."""
        pairs = list(dict.fromkeys(keys))
        if not pairs:
            return {}
        name = aws.table_name(COUNTERS)
        wanted = [inflight_key(s) for s, _ in pairs] + [routed_key(s, d) for s, d in pairs]
        items = batch_get({name: {"Keys": list({k["key"]: k for k in wanted}.values())}})[name]
        found = {item["key"]: int(item.get("n", 0)) for item in items}
        return {(s, d): (found.get(inflight_key(s)["key"], 0), found.get(routed_key(s, d)["key"], 0)) for s, d in pairs}
