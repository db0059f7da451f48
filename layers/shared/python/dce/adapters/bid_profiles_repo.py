"""Bid profiles in DynamoDB."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from dce.adapters import aws
from dce.adapters.items import parse_ts, ts
from dce.adapters.tables import BID_PROFILES
from dce.domain.bid_profiles import BidProfile, Criteria


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
    def put(self, profile: BidProfile) -> None:
        aws.table(BID_PROFILES).put_item(Item=profile_item(profile))

    def get(self, profile_id: str) -> BidProfile | None:
        item = aws.table(BID_PROFILES).get_item(Key={"id": profile_id}).get("Item")
        return profile_from(item) if item else None

    def for_seller(self, seller_id: str) -> list[BidProfile]:
        result = aws.table(BID_PROFILES).query(
            IndexName="by_seller", KeyConditionExpression=Key("seller_id").eq(seller_id), ScanIndexForward=False
        )
        return [profile_from(i) for i in result.get("Items", [])]

    def active(self) -> list[BidProfile]:
        """Every active profile (a sparse index; all pages)."""
        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {"IndexName": "active", "KeyConditionExpression": Key("active_flag").eq("1")}
        while True:
            result = aws.table(BID_PROFILES).query(**query)
            items += result.get("Items", [])
            if "LastEvaluatedKey" not in result:
                return [profile_from(i) for i in items]
            query["ExclusiveStartKey"] = result["LastEvaluatedKey"]

    def delete(self, profile_id: str, seller_id: str) -> bool:
        try:
            aws.table(BID_PROFILES).delete_item(
                Key={"id": profile_id},
                ConditionExpression="seller_id = :s",
                ExpressionAttributeValues={":s": seller_id},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
