"""Auctions and their bids in DynamoDB. Every state change is a conditional write, so concurrent
bids, closes and routes resolve to exactly one outcome."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from dce.adapters import aws
from dce.adapters.dynamo import cancellation_reasons, error_code, items_by_id, query_page
from dce.adapters.items import auction_from, auction_item, bid_from, bid_item, ts, winning_bid_item
from dce.adapters.tables import AUCTIONS, BIDS, CALLS, COUNTERS, OPEN_SHARDS
from dce.domain.auctions import Auction, Bid, BidStatus, WinningBid, outcome
from dce.domain.calls import CallStatus
from dce.domain.errors import (
    AuctionClosed,
    AuctionExists,
    BidNotHigher,
    Conflict,
    FraudSuspected,
    InvalidState,
    ValidationFailed,
)
from dce.domain.pages import Page

COUNTER_TTL_SECONDS = 2 * 3600
OPEN_CURSOR = "open_shards"  # the open-auctions listing's cursor: {shard: index key, or {} from its start}


def _shard_positions(start: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Where each shard's query starts: all shards from the beginning, or what a cursor says. A cursor is
    HMAC-signed by the API, so a malformed one here is one issued for another listing or version."""
    if start is None:
        return {f"open#{n}": {} for n in range(OPEN_SHARDS)}
    positions = start.get(OPEN_CURSOR)
    if not isinstance(positions, dict) or not all(
        isinstance(shard, str) and shard.startswith("open#") and isinstance(key, dict)
        for shard, key in positions.items()
    ):
        raise ValidationFailed("Invalid cursor")
    return positions


class DynamoAuctionRepo:
    def create_for_call(self, auction: Auction) -> None:
        """Store the auction and claim the call for it, atomically: one auction per pending call."""
        try:
            aws.dynamodb().meta.client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": aws.table_name(AUCTIONS),
                            "Item": auction_item(auction),
                            "ConditionExpression": "attribute_not_exists(id)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": aws.table_name(CALLS),
                            "Key": {"id": auction.call_id},
                            "UpdateExpression": "SET auction_id = :a",
                            "ConditionExpression": "attribute_not_exists(auction_id) AND #s = :pending",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": {":a": auction.id, ":pending": CallStatus.PENDING.value},
                        }
                    },
                ]
            )
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            if cancellation_reasons(error)[1:2] == ["ConditionalCheckFailed"]:
                raise AuctionExists() from error
            raise Conflict() from error

    def get(self, auction_id: str) -> Auction | None:
        item = aws.table(AUCTIONS).get_item(Key={"id": auction_id}).get("Item")
        return auction_from(item) if item else None

    def list_open(self, limit: int, start: dict[str, Any] | None) -> Page[Auction]:
        """Open auctions, soonest to end first: one query per index shard (keys only), merged by
        (ends_at, id), then the page's items in one BatchGetItem. The cursor holds, for every shard not
        yet exhausted, the index key of the last auction this listing returned from it ({} = from its
        start), so a shard's unreturned candidates are read again by the next page, never skipped."""
        positions = _shard_positions(start)
        candidates: list[tuple[str, str, str, dict[str, Any]]] = []  # (ends_at, id, shard, index key)
        exhausted: set[str] = set()
        for shard, position in positions.items():
            keys, last = query_page(
                aws.table(AUCTIONS),
                limit,
                position or None,
                IndexName="open_by_end",
                KeyConditionExpression=Key("open_flag").eq(shard),
            )
            candidates += [(str(k["ends_at"]), str(k["id"]), shard, k) for k in keys]
            if last is None:
                exhausted.add(shard)
        candidates.sort(key=lambda c: (c[0], c[1]))
        chosen, rest = candidates[:limit], candidates[limit:]
        following: dict[str, Any] = {}
        for shard, position in positions.items():
            taken = [key for _, _, s, key in chosen if s == shard]
            if shard in exhausted and not any(s == shard for _, _, s, _ in rest):
                continue  # every open auction of this shard has been listed
            following[shard] = dict(taken[-1]) if taken else position
        auctions = self._batch_get([auction_id for _, auction_id, _, _ in chosen])
        # The index is eventually consistent: an auction closed since it was read is left out.
        listed = [auctions[i] for _, i, _, _ in chosen if i in auctions and auctions[i].is_open]
        return Page(listed, {OPEN_CURSOR: following} if following else None)

    def _batch_get(self, ids: list[str]) -> dict[str, Auction]:
        return {auction_id: auction_from(item) for auction_id, item in items_by_id(AUCTIONS, ids).items()}

    def mark_closed(self, auction_id: str, now: datetime, only_if_ended: bool) -> bool:
        """open → completed. With `only_if_ended`, only when `ends_at` has passed (the timer's path,
        so a last-second extension wins over the timer). False when the condition did not hold."""
        condition = "#s = :open AND ends_at <= :now" if only_if_ended else "#s = :open"
        try:
            aws.table(AUCTIONS).update_item(
                Key={"id": auction_id},
                UpdateExpression="SET #s = :done, closed_at = :now REMOVE open_flag",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":open": "open", ":done": "completed", ":now": ts(now)},
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def record_winner(self, auction: Auction, ranking: tuple[WinningBid, ...], ranked: int) -> Auction:
        """Set the result once; a second closer finds it already set and reads it back."""
        winner = ranking[0] if ranking else None
        values: dict[str, Any] = {
            ":t": True,
            ":f": False,
            ":done": "completed",
            ":r": [winning_bid_item(b) for b in ranking],
            ":n": ranked,
        }
        expression = "SET settled = :t, ranking = :r, ranked = :n"
        if winner is not None:
            expression += ", winning_bid = :w"
            values[":w"] = winning_bid_item(winner)
        try:
            aws.table(AUCTIONS).update_item(
                Key={"id": auction.id},
                UpdateExpression=expression,
                ConditionExpression="#s = :done AND (attribute_not_exists(settled) OR settled = :f)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                stored = self.get(auction.id)
                assert stored is not None
                return stored
            raise
        return replace(auction, winning_bid=winner, settled=True, ranking=ranking, ranked=ranked)

    def bids(self, auction_id: str) -> list[Bid]:
        """Every bid of an auction (strongly consistent, all pages)."""
        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {"KeyConditionExpression": Key("auction_id").eq(auction_id), "ConsistentRead": True}
        while True:
            result = aws.table(BIDS).query(**query)
            items += result.get("Items", [])
            if "LastEvaluatedKey" not in result:
                return [bid_from(i) for i in items]
            query["ExclusiveStartKey"] = result["LastEvaluatedKey"]

    def settle_bids(self, bids: list[Bid], winner: WinningBid | None) -> None:
        """Write won/lost on every bid (idempotent: the same result every time)."""
        with aws.table(BIDS).batch_writer() as batch:
            for bid in bids:
                settled = outcome(bid, winner)
                if settled is not bid.status:
                    batch.put_item(Item=bid_item(replace(bid, status=settled)))

    def place_bid(self, bid: Bid, ends_at: datetime, now: datetime, limit_key: str, limit: int) -> None:
        """One transaction: the auction is still open (and counts the bid, maybe extended), the seller
        has no live bid at least as high, and the seller is under the hourly bid limit."""
        window_end = int(now.timestamp()) + COUNTER_TTL_SECONDS
        try:
            aws.dynamodb().meta.client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": aws.table_name(AUCTIONS),
                            "Key": {"id": bid.auction_id},
                            "UpdateExpression": "SET ends_at = :ends ADD bid_count :one",
                            "ConditionExpression": "#s = :open AND ends_at > :now",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": {
                                ":ends": ts(ends_at),
                                ":one": 1,
                                ":open": "open",
                                ":now": ts(now),
                            },
                        }
                    },
                    {
                        "Put": {
                            "TableName": aws.table_name(BIDS),
                            "Item": bid_item(bid),
                            "ConditionExpression": "attribute_not_exists(seller_id) OR #s <> :active OR amount < :amt",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": {":active": BidStatus.ACTIVE.value, ":amt": bid.amount},
                        }
                    },
                    {
                        "Update": {
                            "TableName": aws.table_name(COUNTERS),
                            "Key": {"key": limit_key},
                            "UpdateExpression": (
                                "SET expires_at_epoch = if_not_exists(expires_at_epoch, :exp) ADD n :one"
                            ),
                            "ConditionExpression": "attribute_not_exists(n) OR n < :limit",
                            "ExpressionAttributeValues": {":one": 1, ":limit": limit, ":exp": window_end},
                        }
                    },
                ]
            )
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            reasons = cancellation_reasons(error)
            if reasons[0:1] == ["ConditionalCheckFailed"]:
                raise AuctionClosed() from error
            if reasons[1:2] == ["ConditionalCheckFailed"]:
                raise BidNotHigher() from error
            if reasons[2:3] == ["ConditionalCheckFailed"]:
                raise FraudSuspected("Too many bids: the hourly bid limit is reached") from error
            raise Conflict() from error

    def find_bid(self, bid_id: str) -> Bid | None:
        result = aws.table(BIDS).query(IndexName="by_id", KeyConditionExpression=Key("id").eq(bid_id), Limit=1)
        items = result.get("Items", [])
        return bid_from(items[0]) if items else None

    def withdraw(self, bid: Bid) -> None:
        """active → withdrawn while the auction is open; AuctionClosed / InvalidState otherwise."""
        try:
            aws.dynamodb().meta.client.transact_write_items(
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": aws.table_name(AUCTIONS),
                            "Key": {"id": bid.auction_id},
                            "ConditionExpression": "#s = :open",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": {":open": "open"},
                        }
                    },
                    {
                        "Update": {
                            "TableName": aws.table_name(BIDS),
                            "Key": {"auction_id": bid.auction_id, "seller_id": bid.seller_id},
                            "UpdateExpression": "SET #s = :withdrawn",
                            "ConditionExpression": "id = :id AND #s = :active",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": {
                                ":id": bid.id,
                                ":active": BidStatus.ACTIVE.value,
                                ":withdrawn": BidStatus.WITHDRAWN.value,
                            },
                        }
                    },
                ]
            )
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            if cancellation_reasons(error)[0:1] == ["ConditionalCheckFailed"]:
                raise AuctionClosed() from error
            raise InvalidState("Only an active bid can be withdrawn") from error

    def bids_by_seller(self, seller_id: str, limit: int, start: dict[str, Any] | None) -> Page[Bid]:
        items, next_key = query_page(
            aws.table(BIDS),
            limit,
            start,
            IndexName="by_seller",
            KeyConditionExpression=Key("seller_id").eq(seller_id),
            ScanIndexForward=False,
        )
        return Page([bid_from(i) for i in items], next_key)
