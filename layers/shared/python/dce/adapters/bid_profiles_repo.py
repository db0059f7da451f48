"""Bid profiles in DynamoDB, and each seller's profile count (the fair-use cap).

The count is an item of its own in the same table, `{"id": "count#<seller id>", "profiles": n}`: it has
neither `seller_id` nor `active_flag`, so it is in no index, and its id is no UUID, so no API path can name
it. Creating a profile is one transaction (the count goes up only while under the cap, and the profile is
written) and deleting one another (the profile goes, the count goes down), so concurrent creates can never
take a seller past the cap. A seller whose profiles predate the cap has no count item yet: the first create
starts it from a count of the seller's profiles.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from dce.adapters import aws
from dce.adapters.dynamo import cancellation_reasons, error_code
from dce.adapters.items import parse_ts, ts
from dce.adapters.tables import BID_PROFILES, COUNTERS
from dce.domain.bid_profiles import BidProfile, Criteria
from dce.domain.errors import BidProfileNotFound, Conflict, LimitExceeded

COUNT_PREFIX = "count#"  # the id of a seller's count item: count#<seller id>
ATTEMPTS = 5  # concurrent transactions on one seller's count cancel each other (TransactionConflict)
AUTO_BIDS_DONE_PREFIX = "autobids#"  # counters table: auction.opened events whose automatic bids are placed
AUTO_BIDS_DONE_KEPT = timedelta(days=2)  # longer than a stream keeps a record (24 h), so any replay finds it


def count_key(seller_id: str) -> dict[str, str]:
    return {"id": f"{COUNT_PREFIX}{seller_id}"}


def profile_item(p: BidProfile) -> dict[str, Any]:
    c = p.criteria
    item: dict[str, Any] = {
        "id": p.id,
        "seller_id": p.seller_id,
        "countries": list(c.countries),
        "states": list(c.states),
        "call_types": list(c.call_types),
        "keywords": list(c.keywords),
        "active": p.active,
        "created_at": ts(p.created_at),
        "updated_at": ts(p.updated_at),
    }
    if c.max_budget is not None:
        item["max_budget"] = c.max_budget
    if p.auto_bid_amount is not None:
        item["auto_bid_amount"] = p.auto_bid_amount
    if p.active:
        item["active_flag"] = "1"
    return item


def profile_from(item: dict[str, Any]) -> BidProfile:
    return BidProfile(
        id=item["id"],
        seller_id=item["seller_id"],
        criteria=Criteria(
            countries=tuple(item.get("countries", [])),
            states=tuple(item.get("states", [])),
            call_types=tuple(item.get("call_types", [])),
            keywords=tuple(item.get("keywords", [])),
            max_budget=Decimal(item["max_budget"]) if "max_budget" in item else None,
        ),
        active=bool(item["active"]),
        created_at=parse_ts(item["created_at"]),
        updated_at=parse_ts(item["updated_at"]),
        auto_bid_amount=Decimal(item["auto_bid_amount"]) if "auto_bid_amount" in item else None,
    )


class DynamoBidProfileRepo:
    def create(self, profile: BidProfile, cap: int) -> None:
        """Store a new profile if its seller holds fewer than `cap`; LimitExceeded otherwise. Atomic: the
        seller's count and the profile are written in one transaction, conditional on the count."""
        for attempt in range(ATTEMPTS):
            try:
                aws.dynamodb().meta.client.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": aws.table_name(BID_PROFILES),
                                "Key": count_key(profile.seller_id),
                                "UpdateExpression": "ADD profiles :one",
                                "ConditionExpression": "attribute_exists(profiles) AND profiles < :cap",
                                "ExpressionAttributeValues": {":one": 1, ":cap": cap},
                            }
                        },
                        {
                            "Put": {
                                "TableName": aws.table_name(BID_PROFILES),
                                "Item": profile_item(profile),
                                "ConditionExpression": "attribute_not_exists(id)",
                            }
                        },
                    ]
                )
                return
            except ClientError as error:
                if error_code(error) != "TransactionCanceledException":
                    raise
                if cancellation_reasons(error)[0:1] != ["ConditionalCheckFailed"]:
                    _backoff(attempt)  # a concurrent transaction on the count (TransactionConflict): try again
                    continue
            held = self.count(profile.seller_id)
            if held is None:
                self._start_count(profile.seller_id)  # profiles from before the cap: count them once
            elif held >= cap:
                raise LimitExceeded(f"A seller may hold at most {cap} bid profiles: delete one first")
            # else a delete freed a slot since the transaction: try again
        raise Conflict()

    def count(self, seller_id: str) -> int | None:
        """The seller's profile count, None when it was never started (no profile created since the cap)."""
        item = aws.table(BID_PROFILES).get_item(Key=count_key(seller_id), ConsistentRead=True).get("Item")
        return int(item["profiles"]) if item and "profiles" in item else None

    def _start_count(self, seller_id: str) -> None:
        """The count item, from the profiles the seller holds now (all pages of the by_seller index); a
        concurrent start wins the same way. The index is eventually consistent, but every profile written
        since the cap went live has gone through a count, so only profiles older than that are counted here."""
        existing = 0
        query: dict[str, Any] = {
            "IndexName": "by_seller",
            "KeyConditionExpression": Key("seller_id").eq(seller_id),
            "Select": "COUNT",
        }
        while True:
            result = aws.table(BID_PROFILES).query(**query)
            existing += int(result.get("Count", 0))
            if "LastEvaluatedKey" not in result:
                break
            query["ExclusiveStartKey"] = result["LastEvaluatedKey"]
        try:
            aws.table(BID_PROFILES).put_item(
                Item={**count_key(seller_id), "profiles": existing}, ConditionExpression="attribute_not_exists(id)"
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise

    def put(self, profile: BidProfile) -> None:
        """Replace an existing profile (an update); BidProfileNotFound when it was deleted meanwhile, so an
        update racing a delete never brings back an uncounted profile."""
        try:
            aws.table(BID_PROFILES).put_item(Item=profile_item(profile), ConditionExpression="attribute_exists(id)")
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise BidProfileNotFound() from error
            raise

    def get(self, profile_id: str) -> BidProfile | None:
        item = aws.table(BID_PROFILES).get_item(Key={"id": profile_id}).get("Item")
        return profile_from(item) if item and "seller_id" in item else None

    def for_seller(self, seller_id: str) -> list[BidProfile]:
        """The seller's profiles, newest first (all pages: at most the cap, but older sellers may hold more)."""
        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {
            "IndexName": "by_seller",
            "KeyConditionExpression": Key("seller_id").eq(seller_id),
            "ScanIndexForward": False,
        }
        while True:
            result = aws.table(BID_PROFILES).query(**query)
            items += result.get("Items", [])
            if "LastEvaluatedKey" not in result:
                return [profile_from(i) for i in items]
            query["ExclusiveStartKey"] = result["LastEvaluatedKey"]

    def active(self) -> list[BidProfile]:
        """Every active profile (a sparse index; all pages)."""
        return self._active({})

    def auto_bidders(self) -> list[BidProfile]:
        """The active profiles that bid automatically (the sparse index, only those with an amount; all pages)."""
        return self._active({"FilterExpression": Attr("auto_bid_amount").exists()})

    def _active(self, extra: dict[str, Any]) -> list[BidProfile]:
        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {"IndexName": "active", "KeyConditionExpression": Key("active_flag").eq("1"), **extra}
        while True:
            result = aws.table(BID_PROFILES).query(**query)
            items += result.get("Items", [])
            if "LastEvaluatedKey" not in result:
                return [profile_from(i) for i in items]
            query["ExclusiveStartKey"] = result["LastEvaluatedKey"]

    def delete(self, profile_id: str, seller_id: str) -> bool:
        """Delete the seller's profile and count it out (freeing a slot); False when it is not the seller's
        (or already gone). A seller without a count item (profiles from before the cap) has nothing to count."""
        for attempt in range(ATTEMPTS):
            try:
                aws.dynamodb().meta.client.transact_write_items(
                    TransactItems=[
                        {
                            "Delete": {
                                "TableName": aws.table_name(BID_PROFILES),
                                "Key": {"id": profile_id},
                                "ConditionExpression": "seller_id = :s",
                                "ExpressionAttributeValues": {":s": seller_id},
                            }
                        },
                        {
                            "Update": {
                                "TableName": aws.table_name(BID_PROFILES),
                                "Key": count_key(seller_id),
                                "UpdateExpression": "ADD profiles :minus_one",
                                "ConditionExpression": "profiles > :zero",
                                "ExpressionAttributeValues": {":minus_one": -1, ":zero": 0},
                            }
                        },
                    ]
                )
                return True
            except ClientError as error:
                if error_code(error) != "TransactionCanceledException":
                    raise
                reasons = cancellation_reasons(error)
                if reasons[0:1] == ["ConditionalCheckFailed"]:
                    return False
                if reasons[1:2] == ["ConditionalCheckFailed"]:
                    return self._delete_uncounted(profile_id, seller_id)
                _backoff(attempt)
        raise Conflict()

    @staticmethod
    def _delete_uncounted(profile_id: str, seller_id: str) -> bool:
        try:
            aws.table(BID_PROFILES).delete_item(
                Key={"id": profile_id},
                ConditionExpression="seller_id = :s",
                ExpressionAttributeValues={":s": seller_id},
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True


class DynamoAutoBidLog:
    """The `auction.opened` events whose automatic bids are all placed (or refused for good): one item each in
    the counters table, `autobids#<event id>`, expired by TTL after two days. Written last, so a replay of a
    finished event costs one read, and a replay of an unfinished one places what is missing."""

    def done(self, event_id: str) -> bool:
        key = {"key": f"{AUTO_BIDS_DONE_PREFIX}{event_id}"}
        return "Item" in aws.table(COUNTERS).get_item(Key=key, ConsistentRead=True)

    def record(self, event_id: str, placed: int, at: datetime) -> None:
        aws.table(COUNTERS).put_item(
            Item={
                "key": f"{AUTO_BIDS_DONE_PREFIX}{event_id}",
                "placed": placed,
                "at": ts(at),
                "expires_at_epoch": int((at + AUTO_BIDS_DONE_KEPT).timestamp()),
            }
        )


def _backoff(attempt: int) -> None:
    """Full jitter up to 5 ms * 2^attempt: concurrent creates of one seller spread out."""
    time.sleep(random.uniform(0, 0.005 * 2**attempt))  # noqa: S311 (not crypto)
